import type { ServerResponse } from 'node:http';
import type { Snapshot } from '@promptline/core';
import { promptInScope, scopedEtag } from '../auth/scope.ts';
import { openSse, type SseStream } from '../http/sse.ts';
import type { ChangeFeed, DeploymentChange } from './change-feed.ts';

/**
 * What the stream needs of an environment's snapshot: the document, its ETag and its JSON,
 * serialised once when it was built. The snapshot cache's entries are one.
 */
export interface StreamSnapshot {
  etag: string;
  snapshot: Snapshot;
  /** `JSON.stringify(snapshot)`: embedded as is in the connect event. */
  body: string;
}

/** Options of {@link createUpdateStream}. */
export interface UpdateStreamOptions {
  changeFeed: ChangeFeed;
  /** The environment's current snapshot, or undefined when the environment does not exist. */
  snapshotOf: (
    projectId: number,
    environment: string,
  ) => Promise<StreamSnapshot | undefined> | StreamSnapshot | undefined;
  /** Interval of the `: heartbeat` comment (default 15 000 ms). */
  heartbeatMs?: number;
  /** The `retry:` hint sent on connect: how long a client waits before reconnecting (default 2 000 ms). */
  retryMs?: number;
  /**
   * Largest snapshot (connect event) or delta (change event) carried inside an event, in bytes of
   * JSON (default 256 KiB). Above it the event carries the ETag only and clients fetch the snapshot.
   */
  inlineMaxBytes?: number;
  /** A client that has not read this much of what was written is cut off (default 4 × inlineMaxBytes, at least 1 MiB). */
  maxBufferedBytes?: number;
  /** Failures loading the snapshot after a change (the event still goes out, with `etag: null`). */
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
  /** Connect events: the whole snapshot (the document `GET …/snapshot` answers), when small enough. */
  snapshot?: Snapshot;
  /**
   * Change events: the ETag of the snapshot `delta` applies to — the one the previous event announced.
   * A client holding exactly that snapshot applies `delta`; any other client fetches the snapshot.
   */
  baseEtag?: string;
  /** Change events: the new release of every prompt that changed, `null` for one no longer served. */
  delta?: Record<string, Snapshot['prompts'][string] | null>;
}

interface Client {
  stream: SseStream;
  /** The ETag this client was last told about: a change that leaves it unchanged is not sent again. */
  etag: string | null;
}

interface Group {
  projectId: number;
  environment: string;
  /** A prompt-scoped key's pattern (`support/*`): the group sees only those prompts; null: all. */
  pattern: string | null;
  clients: Set<Client>;
  changed: Set<string>;
  dirty: boolean;
  running: boolean;
  /** The snapshot the last event announced: the base of the next delta. */
  base: StreamSnapshot | undefined;
}

/**
 * One event as bytes. `data` is JSON built by hand around parts that are already serialised (the
 * snapshot body, each release): JSON has no raw line breaks, so it is one valid `data:` line.
 */
function frame(etag: string | null, json: string): Buffer {
  const id = etag === null ? '' : `id: ${etag}\n`;
  return Buffer.from(`${id}event: update\ndata: ${json}\n\n`);
}

function headJson(etag: string | null, environment: string, prompts: string[], reason: string): string {
  return `{"etag":${JSON.stringify(etag)},"environment":${JSON.stringify(environment)},"prompts":${JSON.stringify(prompts)},"reason":"${reason}"`;
}

/** Each release of a snapshot as JSON, per snapshot: computed once, compared by every later delta. */
type ReleaseJson = WeakMap<Snapshot, Map<string, string>>;

function releasesOf(cache: ReleaseJson, snapshot: Snapshot): Map<string, string> {
  let map = cache.get(snapshot);
  if (!map) {
    map = new Map(Object.entries(snapshot.prompts).map(([name, release]) => [name, JSON.stringify(release)]));
    cache.set(snapshot, map);
  }
  return map;
}

/** `{"name": release | null, …}` for the releases that differ, with their names; undefined when none do. */
function deltaOf(
  cache: ReleaseJson,
  base: Snapshot,
  next: Snapshot,
): { names: string[]; json: string } | undefined {
  const before = releasesOf(cache, base);
  const after = releasesOf(cache, next);
  const names: string[] = [];
  const parts: string[] = [];
  for (const [name, json] of after) {
    if (before.get(name) === json) continue;
    names.push(name);
    parts.push(`${JSON.stringify(name)}:${json}`);
  }
  for (const name of before.keys()) {
    if (after.has(name)) continue;
    names.push(name);
    parts.push(`${JSON.stringify(name)}:null`);
  }
  return names.length === 0 ? undefined : { names, json: `{${parts.join(',')}}` };
}

/**
 * The server side of live updates: server-sent-event connections per (project, environment), fed by
 * ONE change-feed subscription for the whole process. After a change the environment's snapshot is
 * loaded once, the delta from the previously announced one is serialised once, and the same bytes
 * are written to every connection, so a connection costs a socket and a set entry; one timer sends
 * every heartbeat. Clients apply the delta without a request; the connect event carries the whole
 * snapshot, so a (re)connecting client is current in one step.
 */
export function createUpdateStream(options: UpdateStreamOptions) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 2_000;
  const inlineMax = options.inlineMaxBytes ?? 256 * 1024;
  // An inlined event may itself be most of a client's unread bytes: the limit must leave room for it.
  const maxBuffered = options.maxBufferedBytes ?? Math.max(1024 * 1024, 4 * inlineMax);
  const groups = new Map<string, Group>();
  /** The connect frames of each snapshot (with it inline, and ETag only), built on first use: reconnect storms reuse them. */
  const connectFrames = new WeakMap<StreamSnapshot, { full: Buffer; etagOnly: Buffer }>();
  const releaseJson: ReleaseJson = new WeakMap();
  let connections = 0;
  let closed = false;

  const keyOf = (projectId: number | string, environment: string, pattern: string | null) =>
    `${projectId}\u0000${environment}\u0000${pattern ?? ''}`;
  /** Each snapshot cut to each prompt scope, built once: frames and deltas are cached per object. */
  const scopedCuts = new WeakMap<StreamSnapshot, Map<string, StreamSnapshot>>();

  /** `current` as a prompt-scoped group sees it: only its prompts, under an ETag of its own. */
  function cut(current: StreamSnapshot, pattern: string | null): StreamSnapshot {
    if (pattern === null) return current;
    let byPattern = scopedCuts.get(current);
    if (!byPattern) {
      byPattern = new Map();
      scopedCuts.set(current, byPattern);
    }
    let scoped = byPattern.get(pattern);
    if (!scoped) {
      const etag = scopedEtag(current.etag, pattern);
      const prompts = Object.fromEntries(
        Object.entries(current.snapshot.prompts).filter(([name]) => promptInScope(pattern, name)),
      );
      const snapshot: Snapshot = { ...current.snapshot, etag, prompts };
      scoped = { etag, snapshot, body: JSON.stringify(snapshot) };
      byPattern.set(pattern, scoped);
    }
    return scoped;
  }

  /** `known`: the client said (Last-Event-ID) it holds this snapshot already, so it is not resent. */
  function connectFrame(environment: string, current: StreamSnapshot, known: boolean): Buffer {
    let frames = connectFrames.get(current);
    if (!frames) {
      const head = headJson(current.etag, environment, [], 'connect');
      const etagOnly = frame(current.etag, `${head}}`);
      const small = Buffer.byteLength(current.body) <= inlineMax;
      frames = {
        full: small ? frame(current.etag, `${head},"snapshot":${current.body}}`) : etagOnly,
        etagOnly,
      };
      connectFrames.set(current, frames);
    }
    return known ? frames.etagOnly : frames.full;
  }

  function changeFrame(group: Group, next: StreamSnapshot | undefined, fallbackNames: string[]): Buffer {
    if (!next) return frame(null, `${headJson(null, group.environment, fallbackNames, 'change')}}`);
    const base = group.base;
    // A delta carries releases only: when the segments their rules name changed, clients fetch the snapshot.
    const sameSegments =
      base !== undefined &&
      JSON.stringify(base.snapshot.segments ?? null) === JSON.stringify(next.snapshot.segments ?? null);
    const delta =
      base && sameSegments && base.etag !== next.etag
        ? deltaOf(releaseJson, base.snapshot, next.snapshot)
        : undefined;
    const names = delta?.names ?? fallbackNames;
    const head = headJson(next.etag, group.environment, names, 'change');
    const json =
      base && delta && Buffer.byteLength(delta.json) <= inlineMax
        ? `${head},"baseEtag":${JSON.stringify(base.etag)},"delta":${delta.json}}`
        : `${head}}`;
    return frame(next.etag, json);
  }

  function detach(group: Group, client: Client): void {
    if (!group.clients.delete(client)) return;
    connections--;
    if (group.clients.size === 0 && !group.running)
      groups.delete(keyOf(group.projectId, group.environment, group.pattern));
  }

  async function deliver(group: Group): Promise<void> {
    try {
      while (group.dirty && !closed) {
        group.dirty = false;
        const names = [...group.changed];
        group.changed.clear();
        let next: StreamSnapshot | undefined;
        try {
          const whole = await options.snapshotOf(group.projectId, group.environment);
          next = whole && cut(whole, group.pattern);
        } catch (error) {
          options.onError?.(error);
          next = undefined;
        }
        // Without a snapshot the event still goes out: "something changed, fetch the snapshot".
        const bytes = changeFrame(group, next, names);
        const etag = next?.etag ?? null;
        if (next) group.base = next;
        for (const client of group.clients) {
          if (etag !== null && client.etag === etag) continue;
          client.etag = etag;
          client.stream.write(bytes);
        }
      }
    } finally {
      group.running = false;
      if (group.clients.size === 0) groups.delete(keyOf(group.projectId, group.environment, group.pattern));
    }
  }

  function onChange(change: DeploymentChange): void {
    for (const group of groups.values()) {
      if (String(group.projectId) !== change.projectId || group.environment !== change.environment) continue;
      // A prompt-scoped group hears only of its prompts (`*`, the whole environment, reaches all).
      if (group.pattern !== null && change.prompt !== '*' && !promptInScope(group.pattern, change.prompt))
        continue;
      notify(group, change.prompt);
    }
  }

  function notify(group: Group, prompt: string): void {
    group.changed.add(prompt);
    group.dirty = true;
    if (group.running) return;
    group.running = true;
    // Deferred so every subscriber of the same change (the snapshot cache first of all) has run:
    // the snapshot must be the rebuilt one, and a burst of changes is one event.
    setImmediate(() => void deliver(group));
  }

  const unsubscribe = options.changeFeed.subscribe(onChange);

  return {
    /**
     * Takes over `res` (already hijacked from the framework): writes the headers, the `retry:` hint
     * and a first `update` event with the ETag of `current` (and the snapshot itself when it is at
     * most `inlineMaxBytes` and `lastEventId` is not already its ETag), then keeps it until the
     * client goes or `close()`.
     */
    attach(
      projectId: number,
      environment: string,
      res: ServerResponse,
      current: StreamSnapshot,
      {
        headers = {},
        lastEventId,
        promptPrefix = null,
      }: {
        headers?: Record<string, string>;
        lastEventId?: string;
        /** A prompt-scoped key's pattern: the stream carries only those prompts. */
        promptPrefix?: string | null;
      } = {},
    ): void {
      if (closed) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('shutting down');
        return;
      }
      current = cut(current, promptPrefix);
      const key = keyOf(projectId, environment, promptPrefix);
      let group = groups.get(key);
      if (!group) {
        group = {
          projectId,
          environment,
          pattern: promptPrefix,
          clients: new Set(),
          changed: new Set(),
          dirty: false,
          running: false,
          base: current,
        };
        groups.set(key, group);
      }
      // The writer sends the headers, the retry hint and the heartbeats, and cuts off a client
      // that stopped reading (it would make the server buffer every event for it forever).
      const stream = openSse(res, { headers, retryMs, heartbeatMs, maxBufferedBytes: maxBuffered });
      const client: Client = { stream, etag: current.etag };
      group.clients.add(client);
      connections++;
      const owner = group;
      stream.signal.addEventListener('abort', () => detach(owner, client), { once: true });
      // Leaves with the headers and the hint, in one packet (the frame is shared, so not concatenated).
      stream.write(connectFrame(environment, current, lastEventId === current.etag));
    },

    /** Open connections, all environments together. */
    connections(): number {
      return connections;
    },

    /** Open connections per environment name, all projects together (/metrics). */
    connectionsByEnvironment(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const group of groups.values()) {
        if (group.clients.size === 0) continue;
        counts.set(group.environment, (counts.get(group.environment) ?? 0) + group.clients.size);
      }
      return counts;
    },

    /** Ends every open stream and stops listening (server shutdown). */
    close(): void {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const group of groups.values()) {
        for (const client of [...group.clients]) client.stream.end();
        group.clients.clear();
      }
      groups.clear();
      connections = 0;
    },
  };
}

export type UpdateStream = ReturnType<typeof createUpdateStream>;
