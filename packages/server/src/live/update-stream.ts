import type { ServerResponse } from 'node:http';
import type { ChangeFeed, DeploymentChange } from './change-feed.ts';

/** Options of {@link createUpdateStream}. */
export interface UpdateStreamOptions {
  changeFeed: ChangeFeed;
  /** The environment's current snapshot ETag, or undefined when the environment does not exist. */
  etagOf: (projectId: number, environment: string) => Promise<string | undefined>;
  /** Interval of the `: heartbeat` comment (default 15 000 ms). */
  heartbeatMs?: number;
  /** The `retry:` hint sent on connect: how long a client waits before reconnecting (default 2 000 ms). */
  retryMs?: number;
  /** A client that has not read this much of what was written is cut off (default 256 KiB). */
  maxBufferedBytes?: number;
  /** Failures computing an ETag after a change (the event still goes out, with `etag: null`). */
  onError?: (error: unknown) => void;
}

/** The JSON of an `update` event. */
export interface UpdateEventData {
  /** The environment snapshot's ETag (quoted, as the snapshot carries it); null when it could not be computed. */
  etag: string | null;
  environment: string;
  /** Prompts whose release changed since the previous event (`*`: the whole environment); empty on connect. */
  prompts: string[];
  /** `connect` for the first event of a connection, `change` after a deployment change. */
  reason: 'connect' | 'change';
}

interface Client {
  res: ServerResponse;
  /** The ETag this client was last told about: a change that leaves it unchanged is not sent again. */
  etag: string | null;
}

interface Group {
  projectId: number;
  environment: string;
  clients: Set<Client>;
  changed: Set<string>;
  dirty: boolean;
  running: boolean;
}

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx and similar proxies buffer responses unless told not to; an update must not wait in one.
  'x-accel-buffering': 'no',
};

const HEARTBEAT = ': heartbeat\n\n';

function frame(data: UpdateEventData): string {
  const id = data.etag === null ? '' : `id: ${data.etag}\n`;
  return `${id}event: update\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The server side of live updates: server-sent-event connections per (project, environment), fed by
 * ONE change-feed subscription for the whole process. After a change the environment's ETag is
 * computed once and the same pre-serialised frame is written to every connection, so a connection
 * costs a socket and a set entry; one timer sends every heartbeat.
 */
export function createUpdateStream(options: UpdateStreamOptions) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 2_000;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  const groups = new Map<string, Group>();
  let connections = 0;
  let closed = false;

  const keyOf = (projectId: number | string, environment: string) => `${projectId}\u0000${environment}`;

  function write(client: Client, group: Group, text: string): void {
    const res = client.res;
    if (res.destroyed || res.writableEnded) return;
    // A client that stopped reading would make the server buffer every event for it forever.
    if (res.writableLength > maxBuffered) {
      detach(group, client);
      res.destroy();
      return;
    }
    res.write(text);
  }

  function detach(group: Group, client: Client): void {
    if (!group.clients.delete(client)) return;
    connections--;
    if (group.clients.size === 0 && !group.running) groups.delete(keyOf(group.projectId, group.environment));
  }

  async function deliver(group: Group): Promise<void> {
    try {
      while (group.dirty && !closed) {
        group.dirty = false;
        const prompts = [...group.changed];
        group.changed.clear();
        let etag: string | null;
        try {
          etag = (await options.etagOf(group.projectId, group.environment)) ?? null;
        } catch (error) {
          options.onError?.(error);
          etag = null;
        }
        // Without an ETag the event still goes out: "something changed, fetch the snapshot".
        const text = frame({ etag, environment: group.environment, prompts, reason: 'change' });
        for (const client of group.clients) {
          if (etag !== null && client.etag === etag) continue;
          client.etag = etag;
          write(client, group, text);
        }
      }
    } finally {
      group.running = false;
      if (group.clients.size === 0) groups.delete(keyOf(group.projectId, group.environment));
    }
  }

  function onChange(change: DeploymentChange): void {
    const group = groups.get(keyOf(change.projectId, change.environment));
    if (!group) return;
    group.changed.add(change.prompt);
    group.dirty = true;
    if (group.running) return;
    group.running = true;
    // Deferred so every subscriber of the same change (the snapshot cache first of all) has run:
    // the ETag must be computed from the invalidated snapshot, and a burst of changes is one event.
    setImmediate(() => void deliver(group));
  }

  const unsubscribe = options.changeFeed.subscribe(onChange);

  const heartbeat = setInterval(() => {
    for (const group of groups.values()) {
      for (const client of group.clients) write(client, group, HEARTBEAT);
    }
  }, heartbeatMs);
  heartbeat.unref();

  return {
    /**
     * Takes over `res` (already hijacked from the framework): writes the headers, the `retry:` hint
     * and a first `update` event with `etag`, then keeps it until the client goes or `close()`.
     */
    attach(
      projectId: number,
      environment: string,
      res: ServerResponse,
      etag: string,
      extraHeaders: Record<string, string> = {},
    ): void {
      if (closed) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('shutting down');
        return;
      }
      const key = keyOf(projectId, environment);
      let group = groups.get(key);
      if (!group) {
        group = {
          projectId,
          environment,
          clients: new Set(),
          changed: new Set(),
          dirty: false,
          running: false,
        };
        groups.set(key, group);
      }
      const client: Client = { res, etag };
      group.clients.add(client);
      connections++;
      const owner = group;
      res.on('close', () => detach(owner, client));
      res.socket?.setNoDelay(true);
      res.writeHead(200, { ...extraHeaders, ...HEADERS });
      res.write(`retry: ${retryMs}\n\n${frame({ etag, environment, prompts: [], reason: 'connect' })}`);
    },

    /** Open connections, all environments together. */
    connections(): number {
      return connections;
    },

    /** Ends every open stream and stops listening (server shutdown). */
    close(): void {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      for (const group of groups.values()) {
        for (const client of group.clients) client.res.end();
        group.clients.clear();
      }
      groups.clear();
      connections = 0;
    },
  };
}

export type UpdateStream = ReturnType<typeof createUpdateStream>;
