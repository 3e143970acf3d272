/** A listening Promptline server per dialect and a real Langfuse SDK client pointed at it. */
import { Langfuse } from 'langfuse';
import { afterAll, beforeAll, describe } from 'vitest';
import type { Dialect } from '../../db/database.ts';
import { DIALECTS } from '../../test-helpers/database.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../../test-helpers/server.ts';

export interface LangfuseContext {
  server: TestServer;
  /** A Langfuse SDK client whose secret key is the server's admin key. */
  client(options?: { secretKey?: string; environment?: string }): Langfuse;
  /** fetch against the server with Basic auth (`pk-lf-…:<key>`) unless `auth` says otherwise. */
  call(path: string, init?: { method?: string; body?: unknown; auth?: string | null }): Promise<Response>;
}

/** Runs `suite` once per dialect against a fresh listening server. */
export function describeLangfuse(
  suite: (ctx: () => LangfuseContext, dialect: Dialect) => void,
  options: Omit<TestServerOptions, 'dialect' | 'listen'> = {},
): void {
  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let context: LangfuseContext | undefined;
      const clients: Langfuse[] = [];
      beforeAll(async () => {
        const server = await startTestServer({ ...options, dialect });
        const basic = (key: string) => `Basic ${Buffer.from(`pk-lf-ignored:${key}`).toString('base64')}`;
        context = {
          server,
          client: (o = {}) => {
            const client = new Langfuse({
              publicKey: 'pk-lf-ignored',
              secretKey: o.secretKey ?? server.apiKey,
              baseUrl: server.url,
              flushAt: 1_000,
              flushInterval: 60_000,
              fetchRetryCount: 0,
              ...(o.environment ? { environment: o.environment } : {}),
            });
            clients.push(client);
            return client;
          },
          call: (path, init = {}) =>
            fetch(`${server.url}${path}`, {
              method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
              headers: {
                ...(init.auth === null ? {} : { authorization: init.auth ?? basic(server.apiKey) }),
                ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
              },
              ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
            }),
        };
      });
      afterAll(async () => {
        for (const client of clients) await client.shutdownAsync();
        await context?.server.close();
      });
      suite(() => {
        if (!context) throw new Error('the test server is not ready yet');
        return context;
      }, dialect);
    });
  }
}
