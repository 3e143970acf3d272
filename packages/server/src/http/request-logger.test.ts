import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { createRequestLoggerFactory } from './request-logger.ts';

/** A Fastify app logging at info into memory, with the factory, a quiet route and an ordinary one. */
async function appWithLogs() {
  const lines: Record<string, unknown>[] = [];
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    childLoggerFactory: createRequestLoggerFactory(),
  });
  app.get('/quiet', { logLevel: 'warn' }, async (request) => {
    request.log.info('quiet info');
    request.log.warn({ detail: 1 }, 'quiet warn');
    return { ok: true };
  });
  app.get('/ordinary', async (request) => {
    request.log.info('ordinary info');
    return { ok: true };
  });
  await app.ready();
  return { app, lines };
}

it('a route with its own level logs at that level, each line bound to its request id', async () => {
  const { app, lines } = await appWithLogs();
  for (let i = 0; i < 3; i++) await app.inject('/quiet');
  const quiet = lines.filter((l) => String(l.msg).startsWith('quiet') || l.msg === 'request completed');
  // Only the warnings: no "quiet info", no info-level "incoming request"/"request completed".
  expect(quiet.map((l) => [l.msg, l.level])).toEqual([
    ['quiet warn', 40],
    ['quiet warn', 40],
    ['quiet warn', 40],
  ]);
  const reqIds = quiet.map((l) => l.reqId);
  expect(new Set(reqIds).size).toBe(3);
  expect(quiet[0]).toMatchObject({ detail: 1 });
  await app.close();
});

it('other routes keep the server level and their request bindings', async () => {
  const { app, lines } = await appWithLogs();
  await app.inject('/ordinary');
  await app.inject('/quiet');
  await app.inject('/ordinary');
  const info = lines.filter((l) => l.msg === 'ordinary info');
  expect(info).toHaveLength(2);
  expect(info[0]?.reqId).not.toBe(info[1]?.reqId);
  expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(2);
  await app.close();
});

it('a request logger made lazily still binds the request id to its children and to error lines', async () => {
  const lines: Record<string, unknown>[] = [];
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    childLoggerFactory: createRequestLoggerFactory(),
  });
  app.get('/child', { logLevel: 'warn' }, async (request) => {
    expect(request.log.level).toBe('warn');
    expect((request.log as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled('info')).toBe(
      false,
    );
    request.log.child({ step: 'inner' }).warn('from a child');
    return { ok: true };
  });
  app.get('/fails', async () => {
    throw new Error('boom');
  });
  await app.ready();
  await app.inject({ url: '/child', headers: {} });
  await app.inject('/fails');
  const child = lines.find((l) => l.msg === 'from a child');
  expect(child).toMatchObject({ step: 'inner', level: 40 });
  expect(typeof child?.reqId).toBe('string');
  const failed = lines.find((l) => l.level === 50);
  expect(failed).toMatchObject({ err: { message: 'boom' } });
  expect(typeof failed?.reqId).toBe('string');
  expect(failed?.reqId).not.toBe(child?.reqId);
  await app.close();
});
