/**
 * /healthz (alive) and /readyz (database answers, migrations done) on both databases; readiness
 * flipping to 503 when PostgreSQL becomes unreachable and back — through a TCP proxy this test
 * runs between the server's pool and PostgreSQL, closed and reopened (real sockets) — and when the
 * database stops answering without closing anything.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../db/database.ts';
import { migrate } from '../db/migrations.ts';
import { createTestSchema, DIALECTS, TEST_POSTGRES_URL } from '../test-helpers/database.ts';
import { startTestServer } from '../test-helpers/server.ts';

for (const dialect of DIALECTS) {
  describe(`/healthz and /readyz (${dialect})`, () => {
    it('answers ready on a migrated database, and alive without a key', async () => {
      const server = await startTestServer({ dialect, listen: false });
      try {
        const health = await server.app.inject({ url: '/healthz' });
        expect(health.statusCode).toBe(200);
        expect(health.json()).toEqual({ status: 'ok' });
        const ready = await server.app.inject({ url: '/readyz' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json()).toEqual({ status: 'ready' });
      } finally {
        await server.close();
      }
    });

    it('is not ready while a migration is not recorded as done, naming it', async () => {
      const server = await startTestServer({ dialect, listen: false });
      try {
        await server.database.exec(`delete from kysely_migration where name = '0080_api_key_notify'`);
        const pending = await server.app.inject({ url: '/readyz' });
        expect(pending.statusCode).toBe(503);
        expect(pending.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(pending.json()).toMatchObject({
          code: 'NOT_READY',
          status: 503,
          check: 'migrations',
          detail: expect.stringContaining('0080_api_key_notify'),
        });
        await server.database.exec(
          `insert into kysely_migration (name, timestamp) values ('0080_api_key_notify', '2026-01-01T00:00:00.000Z')`,
        );
        expect((await server.app.inject({ url: '/readyz' })).statusCode).toBe(200);
        // Liveness never depended on it.
        expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await server.close();
      }
    });
  });
}

/** A TCP proxy to PostgreSQL on 127.0.0.1:<port>: `close()` cuts every connection and stops listening, `open()` listens again on the same port, `stall()` accepts and never forwards. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let mode: 'forward' | 'stall' = 'forward';
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      if (mode === 'stall') return; // accepted, never answered
      const pg = connect(target.port, target.host);
      sockets.add(pg);
      pg.on('close', () => {
        sockets.delete(pg);
        client.destroy();
      });
      pg.on('error', () => client.destroy());
      client.on('close', () => pg.destroy());
      client.pipe(pg).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : port;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
    open: async (as: 'forward' | 'stall' = 'forward') => {
      mode = as;
      await listen();
    },
  };
}

describe('/readyz when PostgreSQL goes away (real sockets through a proxy)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('flips to 503 when the database is unreachable and back to 200 when it returns', async () => {
    const url = new URL(TEST_POSTGRES_URL);
    const proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
    cleanups.push(() => proxy.close());
    const schema = await createTestSchema();
    const proxied = new URL(TEST_POSTGRES_URL);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const idleErrors: Error[] = [];
    const database = createDatabase({
      databaseUrl: proxied.toString(),
      dataDir: '.',
      postgresSchema: schema,
      poolSize: 4,
      // Connections the proxy cuts while idle fail here instead of crashing the process.
      onConnectionError: (error) => idleErrors.push(error),
    });
    await migrate(database);
    const testDatabase = { ...database, exec: async () => {} };
    const server = await startTestServer({
      dialect: 'postgres',
      database: testDatabase,
      listen: false,
      readiness: { timeoutMs: 500 },
    });
    cleanups.push(async () => {
      await server.close();
      await database.close();
    });
    const ready = () => server.app.inject({ url: '/readyz' });

    expect((await ready()).statusCode).toBe(200);

    await proxy.close();
    // Within moments (a loaded machine may still be delivering the cut to the pool's sockets).
    await expect.poll(async () => (await ready()).statusCode, { timeout: 5_000 }).toBe(503);
    const down = await ready();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ code: 'NOT_READY', check: 'database' });
    // The reason says what failed, never where the database is.
    expect(down.json().detail).toMatch(/the database (does not answer|did not answer)/);
    expect(down.json().detail).not.toContain(String(proxy.port));
    expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);

    await proxy.open();
    await expect.poll(async () => (await ready()).statusCode, { timeout: 10_000 }).toBe(200);

    // A database that accepts connections and never answers: not ready within the timeout.
    await proxy.close();
    await proxy.open('stall');
    // (A connection the close cut may fail the first check at once; the next ones wait and time out.)
    await expect
      .poll(
        async () => {
          const started = performance.now();
          const stalled = await ready();
          return {
            status: stalled.statusCode,
            timedOut: String(stalled.json().detail).includes('did not answer within 500 ms'),
            quick: performance.now() - started < 2_000,
          };
        },
        { timeout: 10_000 },
      )
      .toEqual({ status: 503, timedOut: true, quick: true });
    await proxy.close();
    await proxy.open();
    await expect.poll(async () => (await ready()).statusCode, { timeout: 15_000, interval: 200 }).toBe(200);
  });
});
