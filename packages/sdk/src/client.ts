/**
 * The Promptline client: keeps an environment's snapshot in memory, resolves and renders prompts
 * from it synchronously, and follows deployment changes over server-sent events (or polling).
 * Nothing here needs more than `fetch`, web streams, timers and `AbortController`.
 *
 * Over 500 lines because the snapshot's life (first load, disk cache, stream, polling fallback,
 * reconnect) is one state machine; HTTP errors, stream events and tracing moved to their own files.
 */
import { AppError, type ContextAttributes, parseSse, type Snapshot } from '@promptline/core';
import { createBackoff } from './backoff.ts';
import { httpError, unreachable } from './http-errors.ts';
import {
  buildEntries,
  buildFallback,
  changedPrompts,
  isRecord,
  type PromptEntry,
  pick,
  snapshotProblem,
  updateEntries,
} from './resolve.ts';
import { etagHeaderOf, inlineSnapshot, normalizeEtag, unreadable } from './snapshot-events.ts';
import { createTracer, type TracingMethods } from './tracing/tracer.ts';
import type { TracingOptions } from './tracing/types.ts';
import type { FallbackPrompt, PromptSource, ResolvedPrompt, UpdateEvent } from './types.ts';

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** Base URL of the Promptline server, e.g. `https://promptline.example.com`. */
  url: string;
  /** An API key (sent as `Authorization: Bearer`); a viewer key is enough. */
  apiKey: string;
  /** Environment to serve, e.g. `production`. */
  environment: string;
  /** Prompts served when nothing was ever loaded for their name, or when their release is switched off. */
  fallbacks?: Record<string, FallbackPrompt>;
  /** File for a copy of the last snapshot, read at start when the server is unreachable (Node, Bun, Deno). */
  cachePath?: string;
  /** Every background failure (network, auth, disk) lands here; the client never throws them. */
  onError?: (error: AppError) => void;
  /** How to follow changes: `stream` (SSE, polling when unavailable; default), `poll`, or `off`. */
  updates?: 'stream' | 'poll' | 'off';
  /** Interval of polling with `If-None-Match` (default 30 000 ms). */
  pollIntervalMs?: number;
  /** Upper bound on how long `ready()` waits (default 5 000 ms). */
  readyTimeoutMs?: number;
  /** Timeout of a snapshot request and of opening the stream (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** A stream silent this long (no event, no heartbeat) is reopened (default 45 000 ms: three heartbeats). */
  heartbeatTimeoutMs?: number;
  /** Reconnect backoff of the stream (defaults: 1 000 ms base, 30 000 ms cap, full jitter). */
  reconnect?: { baseMs?: number; maxMs?: number };
  /** A `fetch` to use instead of the global one (proxies, instrumentation). */
  fetch?: typeof fetch;
  /** Recording and export of spans and scores (`record`, `trace`, `score`, the wrappers). */
  tracing?: TracingOptions;
}

/** How the client currently follows changes. */
export type ConnectionState = 'connecting' | 'streaming' | 'polling' | 'idle' | 'closed';

export interface PromptOptions {
  /** The unit that bucketing keeps on one variant (user id, session id…). Random per call without one. */
  unit?: string;
  /**
   * Context attributes the release's targeting rules read (`{ plan: 'enterprise', country: 'fr' }`):
   * a matching rule (or the unit's pin) decides before the weighted split, as on the server.
   */
  attributes?: ContextAttributes;
}

/** A live view of one environment's deployed prompts, and the recorder of what the application did with them. */
export interface PromptlineClient extends TracingMethods {
  /**
   * Resolves once the first snapshot is loaded — or, when the server cannot be reached, once the disk
   * copy (if any) is in memory, or after `timeoutMs`. Never rejects: it answers what now serves.
   */
  ready(options?: { timeoutMs?: number }): Promise<PromptSource>;
  /**
   * Resolves `name` from memory for `unit`: the same variant as the server's `resolve`.
   * @throws AppError `DEPLOYMENT_NOT_FOUND` (as the server's resolve) when the environment serves nothing for it (not deployed, or
   * switched off) and no fallback was given. Never throws because of the network.
   * @example
   * const prompt = client.prompt('support/triage', { unit: user.id });
   * if (prompt.type === 'text') send(prompt.render({ ticket }));
   */
  prompt(name: string, options?: PromptOptions): ResolvedPrompt;
  /** Subscribes to `update` (a new snapshot is in memory) or `error` events; returns the unsubscribe function. */
  on(event: 'update', listener: (event: UpdateEvent) => void): () => void;
  on(event: 'error', listener: (error: AppError) => void): () => void;
  /** Fetches the snapshot now (with `If-None-Match`); true when memory holds the server's current one. */
  refresh(): Promise<boolean>;
  /** The ETag of the snapshot in memory, null before the first load. */
  readonly etag: string | null;
  readonly connection: ConnectionState;
  /**
   * Sends the spans and scores still queued (for up to `tracing.closeTimeoutMs`), then stops the
   * stream, polling and timers; resolves when a pending disk write has finished.
   */
  close(): Promise<void>;
}

const NOT_SUPPORTED = new Set([404, 405, 501]);
/** In polling mode the stream is tried again after this many polls (the server may have been upgraded). */
const POLLS_BETWEEN_STREAM_ATTEMPTS = 20;

/**
 * Creates a client for one environment and starts loading its snapshot right away.
 *
 * @example
 * const client = createClient({ url: 'http://localhost:4100', apiKey, environment: 'production' });
 * await client.ready();
 * const text = client.prompt('support/triage', { unit: userId }).render({ ticket });
 */
export function createClient(options: ClientOptions): PromptlineClient {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.url.replace(/\/+$/, '');
  const envPath = `${base}/api/v1/environments/${encodeURIComponent(options.environment)}`;
  const snapshotUrl = `${envPath}/snapshot`;
  const streamUrl = `${envPath}/stream`;
  const auth = `Bearer ${options.apiKey}`;
  const updates = options.updates ?? 'stream';
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 45_000;

  let snapshot: Snapshot | undefined;
  // Fallbacks compile now: a broken fallback is a bug in the application, better met at start.
  const fallbacks = new Map<string, PromptEntry>();
  for (const [name, fallback] of Object.entries(options.fallbacks ?? {})) {
    fallbacks.set(
      name,
      buildFallback(name, options.environment, fallback, () => snapshot),
    );
  }

  const controller = new AbortController();
  const updateListeners = new Set<(event: UpdateEvent) => void>();
  const errorListeners = new Set<(error: AppError) => void>();

  let snapshotSource: 'server' | 'cache' | undefined;
  let etagHeader: string | null = null;
  let entries = new Map<string, PromptEntry>();
  let connection: ConnectionState = updates === 'off' ? 'idle' : 'connecting';
  let diskWrites: Promise<void> = Promise.resolve();
  /** Snapshots taken from stream events so far. */
  let adoptions = 0;

  function emitError(error: AppError): void {
    if (controller.signal.aborted) return;
    const listeners = [...errorListeners];
    if (options.onError === undefined && listeners.length === 0) {
      console.warn(`[promptline] ${error.code}: ${error.message}`);
      return;
    }
    for (const listener of options.onError === undefined ? listeners : [options.onError, ...listeners]) {
      try {
        listener(error);
      } catch {
        // A throwing listener must not break the update loop.
      }
    }
  }

  function emitUpdate(event: UpdateEvent): void {
    for (const listener of [...updateListeners]) {
      try {
        listener(event);
      } catch (error) {
        emitError(new AppError('INTERNAL', `An 'update' listener threw: ${String(error)}`, { cause: error }));
      }
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (controller.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      controller.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Puts `next` in memory; `delta` names the only releases that differ from the snapshot held. */
  function apply(next: Snapshot, source: 'server' | 'cache', etag: string | null, delta?: string[]): void {
    const incremental = delta !== undefined && snapshotSource === source;
    const changed = changedPrompts(snapshot, next, incremental ? delta : undefined);
    entries = incremental
      ? updateEntries(entries, next, delta, source, emitError)
      : buildEntries(next, source, emitError);
    snapshot = next;
    snapshotSource = source;
    etagHeader = etag;
    if (source === 'server' && options.cachePath !== undefined) persist(options.cachePath, next, etag);
    emitUpdate({ environment: next.environment, etag: next.etag, source, changed });
  }

  function persist(path: string, value: Snapshot, etag: string | null): void {
    diskWrites = diskWrites
      .then(async () => {
        const disk = await import('./disk-cache.ts');
        await disk.writeDiskCopy(path, value, etag);
      })
      .catch((error: unknown) => {
        emitError(
          new AppError(
            'INTERNAL',
            `Could not write the snapshot copy to ${path}: ${String(error)}. Check \`cachePath\`.`,
            {
              cause: error,
              details: { operation: 'cache-write' },
            },
          ),
        );
      });
  }

  async function loadDiskCopy(path: string): Promise<void> {
    try {
      const disk = await import('./disk-cache.ts');
      const copy = await disk.readDiskCopy(path);
      if (copy === undefined || snapshotSource === 'server') return;
      const problem = snapshotProblem(copy.snapshot);
      if (problem !== undefined) throw new Error(problem);
      const value = copy.snapshot as Snapshot;
      if (value.environment !== options.environment) {
        throw new Error(`it holds environment "${value.environment}", not "${options.environment}"`);
      }
      apply(value, 'cache', copy.etag);
    } catch (error) {
      emitError(
        new AppError(
          'INTERNAL',
          `Could not read the snapshot copy at ${path}: ${String(error)}. It will be rewritten.`,
          {
            cause: error,
            details: { operation: 'cache-read' },
          },
        ),
      );
    }
  }

  async function fetchOnce(): Promise<boolean> {
    const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
    if (etagHeader !== null) headers['if-none-match'] = etagHeader;
    const adoptionsAtSend = adoptions;
    let response: Response;
    try {
      response = await fetchImpl(snapshotUrl, {
        headers,
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(requestTimeoutMs)]),
      });
    } catch (error) {
      emitError(unreachable(base, 'snapshot', error));
      return false;
    }
    try {
      if (response.status === 304) {
        await response.body?.cancel();
        // The server vouches for the disk copy: it now counts as the server's snapshot.
        if (snapshot !== undefined && snapshotSource === 'cache') apply(snapshot, 'server', etagHeader);
        return snapshot !== undefined;
      }
      if (!response.ok) {
        emitError(await httpError(response, `GET ${snapshotUrl}`));
        return false;
      }
      const body: unknown = await response.json();
      // The stream brought a snapshot while this request was out: it is at least as recent.
      if (adoptions !== adoptionsAtSend) return snapshot !== undefined;
      const problem = snapshotProblem(body);
      if (problem !== undefined) {
        emitError(unreadable(snapshotUrl, problem));
        return false;
      }
      const value = body as Snapshot;
      const etag = response.headers.get('etag') ?? etagHeaderOf(value.etag);
      apply(value, 'server', etag);
      return true;
    } catch (error) {
      emitError(unreachable(base, 'snapshot', error));
      return false;
    }
  }

  /**
   * Takes the new state from a stream event when it carries it: the whole snapshot (connect events)
   * or the changed releases on top of the snapshot held (change events whose `baseEtag` is ours).
   * False when the event carries neither usable form: the caller then compares ETags and fetches.
   */
  function adoptInline(data: unknown): boolean {
    const inline = inlineSnapshot(data, snapshot, streamUrl);
    if (inline === undefined) return false;
    if ('problem' in inline) {
      emitError(inline.problem);
      return false;
    }
    const { next, etag, delta } = inline;
    // A fetch already on its way may answer an older snapshot: it must not replace this one.
    adoptions++;
    if (normalizeEtag(next.etag) === normalizeEtag(snapshot?.etag) && snapshotSource === 'server')
      return true;
    apply(next, 'server', etagHeaderOf(etag), delta);
    return true;
  }

  // One snapshot request at a time; a request asked for meanwhile runs once more after it, so the
  // last event always leads to a fetch that started after it.
  let inFlight: Promise<boolean> | undefined;
  let again = false;
  function refresh(): Promise<boolean> {
    if (inFlight !== undefined) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      let ok = false;
      for (;;) {
        again = false;
        ok = await fetchOnce();
        if (!again || controller.signal.aborted) break;
      }
      inFlight = undefined;
      return ok;
    })();
    return inFlight;
  }

  type StreamOutcome = 'unsupported' | 'ended';
  const silentError = (): AppError =>
    new AppError(
      'SERVER_UNREACHABLE',
      `The update stream ${streamUrl} was silent for ${heartbeatTimeoutMs} ms (no heartbeat); reconnecting.`,
      { details: { operation: 'stream' } },
    );

  async function streamOnce(onHealthy: () => void, onRetry: (ms: number) => void): Promise<StreamOutcome> {
    const attempt = new AbortController();
    const signal = AbortSignal.any([controller.signal, attempt.signal]);
    let watchdog = setTimeout(() => attempt.abort(), requestTimeoutMs);
    let silent = false;
    const headers: Record<string, string> = {
      authorization: auth,
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
    };
    // Tells the server which snapshot is held, so the connect event need not carry it again. A disk
    // copy is not named: the connect event's snapshot is what confirms it.
    const held = snapshotSource === 'server' ? snapshot?.etag : undefined;
    if (held !== undefined) headers['last-event-id'] = held;
    try {
      const response = await fetchImpl(streamUrl, { headers, signal });
      if (NOT_SUPPORTED.has(response.status)) {
        await response.body?.cancel();
        return 'unsupported';
      }
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || response.body === null || !type.includes('text/event-stream')) {
        const error = response.ok
          ? new AppError(
              'INTERNAL',
              `${streamUrl} answered ${type || 'no content type'}, not text/event-stream.`,
            )
          : await httpError(response, `GET ${streamUrl}`);
        // Only discards the unwanted body; the error that matters is emitted next.
        await response.body?.cancel().catch(() => {});
        emitError(error);
        return 'ended';
      }
      connection = 'streaming';
      const arm = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          silent = true;
          attempt.abort();
        }, heartbeatTimeoutMs);
      };
      arm();
      for await (const event of parseSse(response.body, { signal, onActivity: arm, onRetry })) {
        if (event.event !== 'update') continue;
        onHealthy();
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          // Not JSON: handled below like an event without a usable body (the snapshot is re-fetched).
          data = undefined;
        }
        if (adoptInline(data)) continue;
        const etag = isRecord(data) ? data.etag : undefined;
        // A malformed event still means "something changed": fetching is the safe answer. A
        // disk copy is confirmed even when its ETag matches (a cheap 304): otherwise a client
        // started while the server was down would report `source: 'cache'` until the next change.
        if (
          typeof etag !== 'string' ||
          normalizeEtag(etag) !== normalizeEtag(snapshot?.etag) ||
          snapshotSource !== 'server'
        ) {
          void refresh();
        }
      }
      // Cancelling the reader may end the read loop quietly rather than with an abort error.
      if (silent && !controller.signal.aborted) emitError(silentError());
      return 'ended';
    } catch (error) {
      if (!controller.signal.aborted) emitError(silent ? silentError() : unreachable(base, 'stream', error));
      return 'ended';
    } finally {
      clearTimeout(watchdog);
      if (!controller.signal.aborted) connection = 'connecting';
    }
  }

  async function pollLoop(maxPolls: number): Promise<void> {
    connection = 'polling';
    for (let i = 0; i < maxPolls && !controller.signal.aborted; i++) {
      await sleep(pollIntervalMs);
      if (controller.signal.aborted) return;
      await refresh();
    }
  }

  async function streamLoop(): Promise<void> {
    const backoff = createBackoff({
      baseMs: options.reconnect?.baseMs ?? 1_000,
      maxMs: options.reconnect?.maxMs ?? 30_000,
    });
    while (!controller.signal.aborted) {
      connection = 'connecting';
      const outcome = await streamOnce(
        () => backoff.reset(),
        (ms) => backoff.setBase(ms),
      );
      if (controller.signal.aborted) return;
      if (outcome === 'unsupported') {
        // An older server without the stream: poll, and look for the stream again now and then.
        await pollLoop(POLLS_BETWEEN_STREAM_ATTEMPTS);
      } else {
        await sleep(backoff.next());
      }
    }
  }

  async function start(): Promise<void> {
    const diskLoad = options.cachePath === undefined ? Promise.resolve() : loadDiskCopy(options.cachePath);
    const loaded = await refresh();
    // Server unreachable: ready() waits until the disk copy is in memory rather than answering early.
    if (!loaded) await diskLoad;
    if (controller.signal.aborted) return;
    if (updates === 'stream') void streamLoop();
    else if (updates === 'poll') void pollLoop(Number.POSITIVE_INFINITY);
  }

  const started = start();

  // Export errors reach the same listeners as update errors (close() flushes before it stops them).
  const tracer = createTracer({
    url: options.url,
    apiKey: options.apiKey,
    environment: options.environment,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
    onError: emitError,
  });

  function currentSource(): PromptSource {
    return snapshotSource ?? 'fallback';
  }

  function notFound(name: string, entry: PromptEntry | undefined): AppError {
    const env = options.environment;
    const advice = `or pass a fallback: createClient({ fallbacks: { '${name}': { type: 'text', template: '…' } } })`;
    if (snapshot === undefined) {
      return new AppError(
        'DEPLOYMENT_NOT_FOUND',
        `No snapshot of "${env}" is loaded yet and "${name}" has no fallback: await client.ready() first, ${advice}.`,
      );
    }
    if (entry !== undefined && !entry.enabled) {
      return new AppError(
        'DEPLOYMENT_NOT_FOUND',
        `"${name}" is switched off in "${env}" (kill switch): re-enable its release, ${advice}.`,
        { details: { disabled: true } },
      );
    }
    return new AppError(
      'DEPLOYMENT_NOT_FOUND',
      `"${name}" is not deployed in "${env}": deploy it (PUT /api/v1/prompts/{name}/deployments/${env}), ${advice}.`,
    );
  }

  return {
    ready(readyOptions) {
      const timeoutMs = readyOptions?.timeoutMs ?? options.readyTimeoutMs ?? 5_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      return Promise.race([started, timeout]).then(() => {
        clearTimeout(timer);
        return currentSource();
      });
    },
    prompt(name, promptOptions) {
      const entry = entries.get(name);
      if (entry !== undefined) {
        const resolved = pick(
          name,
          entry,
          promptOptions?.unit,
          promptOptions?.attributes,
          snapshot?.segments,
        );
        if (resolved !== undefined) return resolved;
      }
      const fallback = fallbacks.get(name)?.resolved[0];
      if (fallback !== undefined) return fallback;
      throw notFound(name, entry);
    },
    on(event: 'update' | 'error', listener: ((event: UpdateEvent) => void) | ((error: AppError) => void)) {
      if (event === 'update') {
        const l = listener as (event: UpdateEvent) => void;
        updateListeners.add(l);
        return () => {
          updateListeners.delete(l);
        };
      }
      const l = listener as (error: AppError) => void;
      errorListeners.add(l);
      return () => {
        errorListeners.delete(l);
      };
    },
    refresh,
    record: tracer.record,
    trace: tracer.trace,
    score: tracer.score,
    wrapOpenAI: tracer.wrapOpenAI,
    wrapAnthropic: tracer.wrapAnthropic,
    activeSpan: tracer.activeSpan,
    flush: tracer.flush,
    tracingStats: tracer.tracingStats,
    get etag() {
      return snapshot?.etag ?? null;
    },
    get connection() {
      return connection;
    },
    async close() {
      await tracer.close();
      connection = 'closed';
      controller.abort();
      updateListeners.clear();
      errorListeners.clear();
      await diskWrites;
    },
  } satisfies PromptlineClient as PromptlineClient;
}
