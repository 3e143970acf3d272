import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { startTestServer } from '../test-helpers/index.ts';

it('stopping cuts a connection still open after the grace period instead of waiting for it', async () => {
  const server = await startTestServer({ dialect: 'sqlite' });
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // A request whose headers never end: the connection is busy, never idle.
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const cut = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const started = performance.now();
  await server.close();
  await cut;
  const took = performance.now() - started;
  // Without the cut, close() waits for the headers timeout (60 s) and the hook times out.
  expect(took).toBeGreaterThan(4_000);
  expect(took).toBeLessThan(30_000);
}, 40_000);
