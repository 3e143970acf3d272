import { afterAll, beforeAll, describe } from 'vitest';
import type { Dialect } from '../db/database.ts';
import { createTestClient, type TestClient } from './client.ts';
import { DIALECTS } from './database.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export interface ServerContext {
  server: TestServer;
  api: TestClient;
}

/**
 * Runs a route suite once per dialect against its own server and fresh database (not listening:
 * requests go through `app.inject()`).
 */
export function describeServer(
  suite: (ctx: () => ServerContext, dialect: Dialect) => void,
  options: Omit<TestServerOptions, 'dialect'> = {},
): void {
  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let context: ServerContext | undefined;
      beforeAll(async () => {
        const server = await startTestServer({ listen: false, ...options, dialect });
        context = { server, api: createTestClient(server.app, server.apiKey) };
      });
      afterAll(async () => {
        await context?.server.close();
      });
      suite(() => {
        if (!context) throw new Error('the test server is not ready yet');
        return context;
      }, dialect);
    });
  }
}
