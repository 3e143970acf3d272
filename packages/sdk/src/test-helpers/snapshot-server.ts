/**
 * A small real HTTP server speaking the SDK's side of the Promptline contract — the environment
 * snapshot (ETag, 304) and the update stream (SSE) as docs/sdk.md defines it — so the SDK's tests
 * and benchmark exercise real sockets and real `fetch` before (and besides) the full server.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ChatMessage,
  extractVariables,
  type ModelConfig,
  type Snapshot,
  type SnapshotVersion,
  type Variant,
} from '@promptline/core';

export interface SnapshotServerOptions {
  environment?: string;
  apiKey?: string;
  /** When false the stream endpoint answers 404, as a server without live updates would. */
  stream?: boolean;
  heartbeatMs?: number;
  /** Port to listen on (default 0: any free one); pass the old port to "restart" a server. */
  port?: number;
  /**
   * Largest snapshot (connect event) or delta (change event) carried inside an event, in bytes
   * (default 256 KiB); 0 speaks the older contract where events carry the ETag only.
   */
  inlineMaxBytes?: number;
}

export interface RecordedRequest {
  path: string;
  ifNoneMatch: string | undefined;
  status: number;
}

export interface SnapshotServer {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly requests: RecordedRequest[];
  /** Number of currently open stream connections. */
  readonly streams: number;
  snapshot(): Snapshot;
  /**
   * Replaces what the environment serves for `name` and notifies the streams; with
   * `{ notify: false }` the event is lost on its way (the next delta is based on its snapshot).
   */
  deploy(
    name: string,
    release: { variants: Variant[]; enabled?: boolean },
    versions: SnapshotVersion[],
    options?: { notify?: boolean },
  ): void;
  /** Switches a release on or off (the kill switch). */
  setEnabled(name: string, enabled: boolean): void;
  /** Stops serving `name` and notifies the streams. */
  remove(name: string): void;
  /** Writes an `update` event with this data to every stream, as is (malformed events). */
  sendRaw(data: unknown): void;
  stop(): Promise<void>;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** A text version for a snapshot, with its variables and hash computed as the server would. */
export function textVersion(number: number, template: string, config: ModelConfig = {}): SnapshotVersion {
  const content = { type: 'text' as const, template };
  return {
    ...content,
    number,
    semver: `1.${number - 1}.0`,
    config,
    variables: extractVariables(content),
    hash: hashOf({ ...content, config }),
  };
}

/** A chat version for a snapshot. */
export function chatVersion(
  number: number,
  messages: ChatMessage[],
  config: ModelConfig = {},
): SnapshotVersion {
  const content = { type: 'chat' as const, messages };
  return {
    ...content,
    number,
    semver: `1.${number - 1}.0`,
    config,
    variables: extractVariables(content),
    hash: hashOf({ ...content, config }),
  };
}

/** Starts the server on 127.0.0.1. */
export async function startSnapshotServer(options: SnapshotServerOptions = {}): Promise<SnapshotServer> {
  const environment = options.environment ?? 'production';
  const apiKey = options.apiKey ?? 'pl_test_key';
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let generation = 0;
  let current: Snapshot = {
    environment,
    etag: `s${generation}`,
    generatedAt: new Date().toISOString(),
    prompts: {},
  };
  const requests: RecordedRequest[] = [];
  const streams = new Set<ServerResponse>();

  const inlineMax = options.inlineMaxBytes ?? 256 * 1024;
  const fits = (value: unknown) => inlineMax > 0 && Buffer.byteLength(JSON.stringify(value)) <= inlineMax;
  const event = (data: unknown) => `event: update\nid: ${current.etag}\ndata: ${JSON.stringify(data)}\n\n`;

  /** The snapshot the last event announced (lost ones included): the base of the next delta. */
  let announced = current;

  function publish(notify = true): void {
    const base = announced;
    generation++;
    current = {
      ...current,
      etag: `s${generation}-${hashOf(current.prompts).slice(0, 8)}`,
      generatedAt: new Date().toISOString(),
    };
    const delta: Record<string, Snapshot['prompts'][string] | null> = {};
    for (const [name, release] of Object.entries(current.prompts)) {
      if (JSON.stringify(release) !== JSON.stringify(base.prompts[name])) delta[name] = release;
    }
    for (const name of Object.keys(base.prompts)) if (!(name in current.prompts)) delta[name] = null;
    const data = fits(delta)
      ? { etag: current.etag, prompts: Object.keys(delta), baseEtag: base.etag, delta }
      : { etag: current.etag, prompts: Object.keys(delta) };
    announced = current;
    if (notify) for (const res of streams) res.write(event(data));
  }

  function problem(res: ServerResponse, status: number, code: string, detail: string): void {
    res.writeHead(status, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: code, status, code, detail }));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const record = (status: number): void => {
      const header = req.headers['if-none-match'];
      requests.push({ path, ifNoneMatch: typeof header === 'string' ? header : undefined, status });
    };
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      record(401);
      problem(res, 401, 'UNAUTHORIZED', 'Pass a valid API key as Authorization: Bearer <key>.');
      return;
    }
    const base = `/api/v1/environments/${environment}`;
    if (path === `${base}/snapshot`) {
      const etag = `"${current.etag}"`;
      if (req.headers['if-none-match'] === etag) {
        record(304);
        res.writeHead(304, { etag }).end();
        return;
      }
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(current));
      return;
    }
    if (path === `${base}/stream` && options.stream !== false) {
      record(200);
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      const connect = fits(current)
        ? { etag: current.etag, prompts: [], snapshot: current }
        : { etag: current.etag, prompts: [] };
      res.write(`retry: 1000\n\n${event(connect)}`);
      streams.add(res);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
      res.on('close', () => {
        clearInterval(heartbeat);
        streams.delete(res);
      });
      return;
    }
    record(404);
    problem(res, 404, 'ROUTE_NOT_FOUND', `No route ${req.method} ${path}.`);
  }

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    requests,
    get streams() {
      return streams.size;
    },
    snapshot: () => current,
    deploy(name, release, versions, deployOptions) {
      current = {
        ...current,
        prompts: {
          ...current.prompts,
          [name]: {
            variants: release.variants,
            enabled: release.enabled ?? true,
            versions: Object.fromEntries(versions.map((v) => [String(v.number), v])),
          },
        },
      };
      publish(deployOptions?.notify ?? true);
    },
    setEnabled(name, enabled) {
      const entry = current.prompts[name];
      if (entry === undefined) throw new Error(`nothing deployed for ${name}`);
      current = { ...current, prompts: { ...current.prompts, [name]: { ...entry, enabled } } };
      publish();
    },
    remove(name) {
      const { [name]: _removed, ...rest } = current.prompts;
      current = { ...current, prompts: rest };
      publish();
    },
    sendRaw(data) {
      for (const res of streams) res.write(event(data));
    },
    async stop() {
      for (const res of streams) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
