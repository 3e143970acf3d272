import { createSseParser } from '@promptline/core';
/**
 * Test support for the live, providers and playground features: a real server with the options
 * those features tune (heartbeat, secret box, change feed, logger), and a small SSE reader.
 */
import type { SecretBox } from '@promptline/core/node';
import type { FastifyInstance } from 'fastify';
import { type BuildAppOptions, buildApp } from '../../app.ts';
import { generateApiKey } from '../../auth/service.ts';
import { bootstrap } from '../../bootstrap.ts';
import type { Database, Dialect } from '../../db/database.ts';
import { createTestDatabase, type TestDatabase } from '../../test-helpers/database.ts';
import type { ChangeFeed } from '../change-feed.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
type ResponseBody = any;

export interface LiveServer {
  url: string;
  apiKey: string;
  app: FastifyInstance;
  database: Database;
  /** JSON request with the admin key. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: ResponseBody; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export interface LiveServerOptions {
  dialect?: Dialect;
  /** Share a database (a second instance): it is not closed with this server. */
  database?: Database;
  apiKey?: string;
  changeFeed?: ChangeFeed;
  secretBox?: SecretBox;
  live?: BuildAppOptions['live'];
  playground?: BuildAppOptions['playground'];
  logger?: BuildAppOptions['logger'];
  logLevel?: 'trace' | 'info' | 'silent';
}

/** A server listening on 127.0.0.1:0 over a fresh database (or the one given). */
export async function startLiveServer(
  options: LiveServerOptions = {},
): Promise<LiveServer & { database: Database | TestDatabase }> {
  const own = options.database ? undefined : await createTestDatabase(options.dialect ?? 'sqlite');
  const database = options.database ?? (own as TestDatabase);
  const apiKey = options.apiKey ?? generateApiKey();
  await bootstrap(database, { apiKey });
  const app = await buildApp({
    db: database,
    config: { logLevel: options.logLevel ?? 'silent' },
    logger: options.logger ?? false,
    ...(options.changeFeed ? { changeFeed: options.changeFeed } : {}),
    ...(options.secretBox ? { secretBox: options.secretBox } : {}),
    ...(options.live ? { live: options.live } : {}),
    ...(options.playground ? { playground: options.playground } : {}),
  });
  const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  return {
    url,
    apiKey,
    app,
    database,
    async call(method, path, body, headers = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, text, headers: response.headers };
    },
    async close() {
      const closing = app.close();
      // fetch (undici) may leave a connection that never carried a request: Node does not count it
      // as idle, so close() would wait for undici's 4 s keep-alive. Tests need not wait for it.
      app.server.closeAllConnections();
      await closing;
      await own?.close();
    },
  };
}

export interface SseEvent {
  event: string;
  data: string;
  id: string;
  /** performance.now() when it was parsed. */
  at: number;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  events: SseEvent[];
  comments: string[];
  retry: number | null;
  /** Resolves with the first event (already received or coming) that `match` accepts. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when a comment arrives (after the ones already seen). */
  nextComment(timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  close(): void;
}

/** Opens a server-sent-event response (GET, or POST with a JSON body) and parses it as it comes. */
export async function openSse(
  url: string,
  apiKey: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${apiKey}`,
      accept: 'text/event-stream',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const wake = new Set<() => void>();
  const connection: SseConnection = {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    retry: null,
    next(match, timeoutMs = 5_000) {
      return waitFor(() => events.find(match), timeoutMs, 'event');
    },
    nextComment(timeoutMs = 5_000) {
      const seen = comments.length;
      return waitFor(() => comments[seen], timeoutMs, 'comment');
    },
    ended: Promise.resolve(),
    close: () => controller.abort(),
  };

  function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `no matching ${what} within ${timeoutMs} ms (events: ${JSON.stringify(events.map((e) => e.event))})`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        wake.delete(check);
      };
      wake.add(check);
      check();
    });
  }

  const body = response.body;
  connection.ended = (async () => {
    if (!body) return;
    // The same reader the SDK and the web app use: a test sees what they see.
    const parser = createSseParser({
      onEvent: (e) => events.push({ ...e, at: performance.now() }),
      onComment: (text) => comments.push(text),
      onRetry: (ms) => {
        connection.retry = ms;
      },
    });
    const decoder = new TextDecoder();
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
        for (const check of [...wake]) check();
      }
    } catch {
      // Aborted by close(): the connection is over either way.
    }
  })();
  return connection;
}

/** Polls `condition` until it holds (for state the server changes asynchronously). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
