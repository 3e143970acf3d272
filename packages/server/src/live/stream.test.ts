import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-helpers/database.ts';
import { eventually, type LiveServer, openSse, startLiveServer } from './test-helpers/index.ts';

const streamPath = (env: string) => `/api/v1/environments/${env}/stream`;

for (const dialect of DIALECTS) {
  describe(`update stream (${dialect})`, () => {
    let server: LiveServer;

    beforeAll(async () => {
      server = await startLiveServer({ dialect, live: { heartbeatMs: 60, retryMs: 1500 } });
      const created = await server.call('POST', '/api/v1/prompts', {
        name: 'support/triage',
        version: { type: 'text', template: 'Hello {{name}}' },
      });
      expect(created.status).toBe(201);
      const second = await server.call(
        'POST',
        `/api/v1/prompts/${encodeURIComponent('support/triage')}/versions`,
        {
          type: 'text',
          template: 'Hi {{name}}!',
        },
      );
      expect(second.status).toBe(201);
      expect(
        (await server.call('PUT', '/api/v1/prompts/support%2Ftriage/deployments/production', { version: 1 }))
          .status,
      ).toBe(200);
    });

    afterAll(async () => {
      await server.close();
    });

    it('sends a retry hint and an update with the whole snapshot on connect', async () => {
      const stream = await openSse(`${server.url}${streamPath('production')}`, server.apiKey);
      try {
        expect(stream.status).toBe(200);
        expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const first = await stream.next((e) => e.event === 'update');
        const snapshot = await server.call('GET', '/api/v1/environments/production/snapshot');
        const data = JSON.parse(first.data);
        expect(data).toMatchObject({
          etag: snapshot.body.etag,
          environment: 'production',
          reason: 'connect',
        });
        // The same document the snapshot endpoint answers: a client needs no request after connecting.
        expect(data.snapshot).toEqual(snapshot.body);
        expect(first.id).toBe(snapshot.body.etag);
        expect(stream.retry).toBe(1500);
      } finally {
        stream.close();
      }
    });

    it('leaves the snapshot out of the connect event when Last-Event-ID says the client holds it', async () => {
      const snapshot = await server.call('GET', '/api/v1/environments/production/snapshot');
      const held = await openSse(`${server.url}${streamPath('production')}`, server.apiKey, {
        headers: { 'last-event-id': snapshot.body.etag },
      });
      const stale = await openSse(`${server.url}${streamPath('production')}`, server.apiKey, {
        headers: { 'last-event-id': '"an-older-snapshot"' },
      });
      try {
        const data = JSON.parse((await held.next((e) => e.event === 'update')).data);
        expect(data).toMatchObject({ etag: snapshot.body.etag, reason: 'connect' });
        expect(data.snapshot).toBeUndefined();
        expect(JSON.parse((await stale.next((e) => e.event === 'update')).data).snapshot).toEqual(
          snapshot.body,
        );
      } finally {
        held.close();
        stale.close();
      }
    });

    it('sends an update with the new ETag and the changed release when a deployment changes, only to that environment', async () => {
      const production = await openSse(`${server.url}${streamPath('production')}`, server.apiKey);
      const staging = await openSse(`${server.url}${streamPath('staging')}`, server.apiKey);
      try {
        const connected = JSON.parse((await production.next((e) => e.event === 'update')).data);
        await staging.next((e) => e.event === 'update');

        const sentAt = performance.now();
        const put = await server.call('PUT', '/api/v1/prompts/support%2Ftriage/deployments/production', {
          version: 2,
        });
        const answeredAt = performance.now();
        expect(put.status).toBe(200);
        const change = await production.next(
          (e) => e.event === 'update' && JSON.parse(e.data).reason === 'change',
        );
        // The event leaves right after the commit, before the PUT's response: it may arrive first.
        console.log(
          `[live] ${dialect}: PUT sent → update event ${(change.at - sentAt).toFixed(1)} ms; PUT answered → update event ${(change.at - answeredAt).toFixed(1)} ms`,
        );

        const data = JSON.parse(change.data);
        const snapshot = await server.call('GET', '/api/v1/environments/production/snapshot');
        expect(data.etag).toBe(snapshot.body.etag);
        expect(data.etag).not.toBe(connected.etag);
        expect(data.prompts).toEqual(['support/triage']);
        expect(snapshot.body.prompts['support/triage'].variants).toEqual([{ version: 2, weight: 10_000 }]);
        // The delta turns the connect snapshot into the new one: exactly what the endpoint now serves.
        expect(data.baseEtag).toBe(connected.etag);
        expect(data.delta).toEqual({ 'support/triage': snapshot.body.prompts['support/triage'] });
        expect({ ...connected.snapshot.prompts, ...data.delta }).toEqual(snapshot.body.prompts);

        // A rollback is a change too; staging heard of neither.
        await server.call('POST', '/api/v1/prompts/support%2Ftriage/deployments/production/rollback', {});
        await production.next((e) => e.event === 'update' && JSON.parse(e.data).etag === connected.etag);
        expect(staging.events.filter((e) => e.event === 'update')).toHaveLength(1);
      } finally {
        production.close();
        staging.close();
      }
    });

    it('leaves a snapshot or delta above the inline limit out of the event: ETag only', async () => {
      // Above the default 256 KiB: this environment's snapshot and this change are sent as ETags.
      const big = `Long ${'x'.repeat(300 * 1024)} {{name}}`;
      const created = await server.call('POST', '/api/v1/prompts', {
        name: 'big/manual',
        version: { type: 'text', template: big },
      });
      expect(created.status).toBe(201);
      const before = await openSse(`${server.url}${streamPath('staging')}`, server.apiKey);
      try {
        const connected = JSON.parse((await before.next((e) => e.event === 'update')).data);
        expect(connected.snapshot.prompts).toEqual({});
        const put = await server.call('PUT', '/api/v1/prompts/big%2Fmanual/deployments/staging', {
          version: 1,
        });
        expect(put.status).toBe(200);
        const change = JSON.parse(
          (await before.next((e) => e.event === 'update' && JSON.parse(e.data).reason === 'change')).data,
        );
        const snapshot = await server.call('GET', '/api/v1/environments/staging/snapshot');
        expect(change).toMatchObject({ etag: snapshot.body.etag, prompts: ['big/manual'] });
        expect(change.delta).toBeUndefined();
        expect(change.baseEtag).toBeUndefined();

        const after = await openSse(`${server.url}${streamPath('staging')}`, server.apiKey);
        try {
          const data = JSON.parse((await after.next((e) => e.event === 'update')).data);
          expect(data).toMatchObject({ etag: snapshot.body.etag, reason: 'connect' });
          expect(data.snapshot).toBeUndefined();
        } finally {
          after.close();
        }
      } finally {
        before.close();
        await server.call('POST', '/api/v1/prompts/big%2Fmanual/deployments/staging/rollback', {});
      }
    });

    it('sends a heartbeat comment on idle connections', async () => {
      const stream = await openSse(`${server.url}${streamPath('development')}`, server.apiKey);
      try {
        expect(await stream.nextComment(2_000)).toBe('heartbeat');
      } finally {
        stream.close();
      }
    });

    it('forgets a connection when its client disconnects', async () => {
      // Streams of earlier tests close asynchronously.
      await eventually(() => server.app.liveUpdates.connections() === 0);
      const stream = await openSse(`${server.url}${streamPath('production')}`, server.apiKey);
      await stream.next((e) => e.event === 'update');
      expect(server.app.liveUpdates.connections()).toBe(1);
      stream.close();
      await eventually(() => server.app.liveUpdates.connections() === 0);
    });

    it('answers problem+json for an unknown environment and without a key', async () => {
      const missing = await server.call('GET', streamPath('nowhere'));
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('ENVIRONMENT_NOT_FOUND');
      const anonymous = await fetch(`${server.url}${streamPath('production')}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/problem\+json/);
    });
  });
}

describe('update stream shutdown', () => {
  it('ends open streams when the server closes, so close() does not hang', async () => {
    const server = await startLiveServer({ dialect: 'sqlite' });
    const streams = await Promise.all(
      [0, 1, 2].map(() => openSse(`${server.url}${streamPath('production')}`, server.apiKey)),
    );
    await Promise.all(streams.map((s) => s.next((e) => e.event === 'update')));
    expect(server.app.liveUpdates.connections()).toBe(3);
    // app.close() itself, not the helper (which also cuts every connection).
    await server.app.close();
    await Promise.all(streams.map((s) => s.ended));
    expect(server.app.liveUpdates.connections()).toBe(0);
    await server.close();
  });
});
