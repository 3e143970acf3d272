import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppError, chooseVariant, isAppError } from '@promptline/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, createClient, type PromptlineClient } from './client.ts';
import {
  chatVersion,
  type SnapshotServer,
  startSnapshotServer,
  textVersion,
} from './test-helpers/snapshot-server.ts';
import type { UpdateEvent } from './types.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options?: Parameters<typeof startSnapshotServer>[0]): Promise<SnapshotServer> {
  const s = await startSnapshotServer(options);
  cleanups.push(() => s.stop());
  return s;
}

function client(s: { url: string; apiKey: string }, options: Partial<ClientOptions> = {}) {
  const errors: AppError[] = [];
  const c = createClient({
    url: s.url,
    apiKey: s.apiKey,
    environment: 'production',
    onError: (e) => errors.push(e),
    reconnect: { baseMs: 50, maxMs: 200 },
    ...options,
  });
  cleanups.push(() => c.close());
  return { client: c, errors };
}

/** Resolves with the next `update` event that satisfies `accept`. */
function nextUpdate(
  c: PromptlineClient,
  accept: (e: UpdateEvent) => boolean = () => true,
): Promise<UpdateEvent> {
  return new Promise((resolve) => {
    const off = c.on('update', (event) => {
      if (!accept(event)) return;
      off();
      resolve(event);
    });
  });
}

async function waitFor(check: () => boolean, what: string, deadlineMs = 5_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'promptline-sdk-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A port nothing listens on: a server started and stopped. */
async function deadPort(): Promise<{ url: string; apiKey: string }> {
  const s = await startSnapshotServer();
  await s.stop();
  return { url: s.url, apiKey: s.apiKey };
}

describe('createClient against a snapshot server', () => {
  it('resolves and renders text, chat (with a placeholder) and partials after ready()', async () => {
    const s = await server();
    s.deploy('shared/signature', { variants: [{ version: 1, weight: 10_000 }] }, [
      textVersion(1, '— {{team}} team'),
    ]);
    s.deploy('support/triage', { variants: [{ version: 2, weight: 10_000 }] }, [
      textVersion(2, 'Classify: {{ticket}}\n{{> shared/signature}}', { model: 'gpt-4o-mini' }),
    ]);
    s.deploy('support/chat', { variants: [{ version: 1, weight: 10_000 }] }, [
      chatVersion(1, [
        { role: 'system', content: 'You help {{company}} customers.' },
        { type: 'placeholder', name: 'history' },
        { role: 'user', content: '{{question}}' },
      ]),
    ]);
    const { client: c, errors } = client(s);
    expect(await c.ready()).toBe('server');

    const text = c.prompt('support/triage', { unit: 'user-1' });
    expect(text).toMatchObject({
      name: 'support/triage',
      version: 2,
      semver: '1.1.0',
      variant: 0,
      source: 'server',
    });
    expect(text.config.model).toBe('gpt-4o-mini');
    // As the server declares them: the template's own names (a partial's are its own).
    expect(text.variables).toEqual(['ticket']);
    expect(text.type === 'text' && text.render({ ticket: 'refund please', team: 'Care' })).toBe(
      'Classify: refund please\n— Care team',
    );
    expect(() => text.render({ ticket: 'x' })).toThrow(/team/);
    expect(text.render({ ticket: 'x' }, { strict: false })).toBe('Classify: x\n—  team');

    const chat = c.prompt('support/chat');
    expect(chat.type).toBe('chat');
    expect(
      chat.render({
        company: 'Acme',
        question: 'Where is my order?',
        history: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
        ],
      }),
    ).toEqual([
      { role: 'system', content: 'You help Acme customers.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Where is my order?' },
    ]);
    expect(() => c.prompt('nope')).toThrow(expect.objectContaining({ code: 'DEPLOYMENT_NOT_FOUND' }));
    expect(errors).toEqual([]);
  });

  it('includes partials as the server renders them: split partials follow the unit', async () => {
    const s = await server();
    const toneVariants = [
      { version: 2, weight: 5_000 },
      { version: 1, weight: 5_000 },
    ];
    s.deploy('shared/tone', { variants: toneVariants }, [
      textVersion(1, 'formally'),
      textVersion(2, 'casually'),
    ]);
    s.deploy('mail', { variants: [{ version: 1, weight: 10_000 }] }, [
      textVersion(1, 'Write {{> shared/tone}}.'),
    ]);
    s.deploy('plain', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'No partials.')]);
    const { client: c } = client(s);
    await c.ready();
    const seen = new Set<unknown>();
    for (let i = 0; i < 50; i++) {
      const unit = `user-${i}`;
      const expected = chooseVariant('shared/tone', toneVariants, unit) === 0 ? 'casually' : 'formally';
      const text = c.prompt('mail', { unit }).render();
      expect(text).toBe(`Write ${expected}.`);
      seen.add(text);
    }
    expect(seen.size).toBe(2);
    // Prompts without split partials hand out one shared object per variant.
    expect(c.prompt('plain', { unit: 'a' })).toBe(c.prompt('plain', { unit: 'b' }));

    await waitFor(() => c.connection === 'streaming' && s.streams === 1, 'the stream to open');
    const plain = c.prompt('plain', { unit: 'a' });
    const updated = nextUpdate(c, (e) => e.changed.includes('shared/tone'));
    s.setEnabled('shared/tone', false);
    await updated;
    // Applied as a delta: a prompt that includes the changed partial is rebuilt…
    expect(() => c.prompt('mail', { unit: 'u' }).render()).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_PARTIAL_NOT_FOUND' }),
    );
    // …one that neither changed nor includes partials is kept as it was.
    expect(c.prompt('plain', { unit: 'a' })).toBe(plain);
  });

  it('keeps each unit on its variant while a rollout grows 5% → 25% → 100%', async () => {
    const s = await server();
    const v1 = textVersion(1, 'old {{x}}');
    const v2 = textVersion(2, 'new {{x}}');
    s.deploy('checkout/upsell', { variants: [{ version: 1, weight: 10_000 }] }, [v1]);
    const { client: c } = client(s);
    await c.ready();
    const units = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
    const onNew = (): Set<string> =>
      new Set(units.filter((unit) => c.prompt('checkout/upsell', { unit }).version === 2));
    expect(onNew().size).toBe(0);

    const counts: number[] = [];
    let previous = new Set<string>();
    for (const weight of [500, 2500, 10_000]) {
      const updated = nextUpdate(c, (e) => e.changed.includes('checkout/upsell'));
      const variants = [
        { version: 2, weight },
        { version: 1, weight: 10_000 - weight },
      ];
      s.deploy('checkout/upsell', { variants }, [v1, v2]);
      await updated;
      const now = onNew();
      for (const unit of previous)
        expect(now.has(unit), `${unit} left the new version at ${weight}`).toBe(true);
      // Same pick as the server's resolve: core's shared bucketing.
      for (const unit of units.slice(0, 200)) {
        expect(c.prompt('checkout/upsell', { unit }).variant).toBe(
          chooseVariant('checkout/upsell', variants, unit),
        );
      }
      counts.push(now.size);
      previous = now;
    }
    // 5% and 25% of 4000 units, give or take hashing noise; then everyone.
    expect(counts[0]).toBeGreaterThan(120);
    expect(counts[0]).toBeLessThan(290);
    expect(counts[1]).toBeGreaterThan(850);
    expect(counts[1]).toBeLessThan(1150);
    expect(counts[2]).toBe(4000);
  });

  it('adopts each change from the stream event itself: no snapshot request after ready()', async () => {
    const s = await server();
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'Hello {{name}}')]);
    s.deploy('other', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'Other')]);
    const { client: c, errors } = client(s);
    await c.ready();
    await waitFor(() => c.connection === 'streaming' && s.streams === 1, 'the stream to open');

    const delays: number[] = [];
    for (let i = 2; i <= 6; i++) {
      const updated = nextUpdate(c);
      const t0 = performance.now();
      s.deploy('greet', { variants: [{ version: i, weight: 10_000 }] }, [
        textVersion(i, `Hello v${i} {{name}}`),
      ]);
      const event = await updated;
      delays.push(performance.now() - t0);
      expect(event).toMatchObject({ environment: 'production', source: 'server', changed: ['greet'] });
      expect(event.etag).toBe(s.snapshot().etag);
      expect(c.prompt('greet').render({ name: 'Ada' })).toBe(`Hello v${i} Ada`);
    }
    // A release that disappears is removed by the delta too.
    const removed = nextUpdate(c);
    s.remove('other');
    expect((await removed).changed).toEqual(['other']);
    expect(() => c.prompt('other')).toThrow(expect.objectContaining({ code: 'DEPLOYMENT_NOT_FOUND' }));
    expect(c.etag).toBe(s.snapshot().etag);

    const sorted = [...delays].sort((a, b) => a - b);
    console.log(
      `[sdk] deployment → update event with the delta inline: median ${sorted[2]?.toFixed(1)} ms, max ${sorted[4]?.toFixed(1)} ms (5 changes)`,
    );
    // Counted at the server: the initial load only.
    expect(s.requests.filter((r) => r.path.endsWith('/snapshot'))).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('refetches with If-None-Match from a server whose events carry the ETag only', async () => {
    const s = await server({ inlineMaxBytes: 0 });
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'Hello {{name}}')]);
    const { client: c } = client(s);
    await c.ready();
    await waitFor(() => c.connection === 'streaming' && s.streams === 1, 'the stream to open');

    for (let i = 2; i <= 6; i++) {
      const updated = nextUpdate(c);
      s.deploy('greet', { variants: [{ version: i, weight: 10_000 }] }, [
        textVersion(i, `Hello v${i} {{name}}`),
      ]);
      const event = await updated;
      expect(event).toMatchObject({ environment: 'production', source: 'server', changed: ['greet'] });
      expect(event.etag).toBe(s.snapshot().etag);
      expect(c.prompt('greet').render({ name: 'Ada' })).toBe(`Hello v${i} Ada`);
    }
    const snapshotRequests = s.requests.filter((r) => r.path.endsWith('/snapshot'));
    // The first fetch has nothing to match; every refetch after an event sends the ETag it holds.
    expect(snapshotRequests[0]?.ifNoneMatch).toBeUndefined();
    expect(snapshotRequests.slice(1).every((r) => r.ifNoneMatch !== undefined)).toBe(true);
    // The connect event carried the etag the client already had: no refetch for it.
    expect(snapshotRequests.length).toBe(6);
  });

  it('fetches when a change is too large to inline, and applies small deltas of a large environment', async () => {
    const s = await server({ inlineMaxBytes: 2_000 });
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'Hello {{name}}')]);
    const { client: c, errors } = client(s);
    await c.ready();
    await waitFor(() => c.connection === 'streaming' && s.streams === 1, 'the stream to open');
    const snapshotRequests = () => s.requests.filter((r) => r.path.endsWith('/snapshot')).length;
    expect(snapshotRequests()).toBe(1);

    // This release alone is above the limit: the event carries the ETag, the client fetches.
    let updated = nextUpdate(c);
    s.deploy('big', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'x'.repeat(3_000))]);
    expect((await updated).changed).toEqual(['big']);
    expect((c.prompt('big') as { template?: string }).template).toHaveLength(3_000);
    expect(snapshotRequests()).toBe(2);

    // The environment is now above the limit, a change of a small release is not.
    updated = nextUpdate(c);
    s.deploy('greet', { variants: [{ version: 2, weight: 10_000 }] }, [textVersion(2, 'Hi {{name}}')]);
    expect((await updated).changed).toEqual(['greet']);
    expect(c.prompt('greet').render({ name: 'Ada' })).toBe('Hi Ada');
    expect((c.prompt('big') as { template?: string }).template).toHaveLength(3_000);
    expect(snapshotRequests()).toBe(2);
    expect(errors).toEqual([]);
  });

  it('fetches when a delta is based on a snapshot it does not hold (a lost event)', async () => {
    const s = await server();
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'v1')]);
    s.deploy('other', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'o1')]);
    const { client: c } = client(s);
    await c.ready();
    await waitFor(() => c.connection === 'streaming' && s.streams === 1, 'the stream to open');

    s.deploy('other', { variants: [{ version: 2, weight: 10_000 }] }, [textVersion(2, 'o2')], {
      notify: false,
    });
    const updated = nextUpdate(c);
    s.deploy('greet', { variants: [{ version: 2, weight: 10_000 }] }, [textVersion(2, 'v2')]);
    // Applying the delta alone would miss `other`: the fetched snapshot has both changes.
    expect((await updated).changed.sort()).toEqual(['greet', 'other']);
    expect(c.prompt('greet').render()).toBe('v2');
    expect(c.prompt('other').render()).toBe('o2');
    expect(s.requests.filter((r) => r.path.endsWith('/snapshot'))).toHaveLength(2);
  });

  it('rejects an inline snapshot of the wrong shape, reports it and fetches instead', async () => {
    const s = await server();
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'v1')]);
    const { client: c, errors } = client(s);
    await c.ready();
    await waitFor(() => c.connection === 'streaming' && s.streams === 1, 'the stream to open');
    s.sendRaw({
      etag: 'forged',
      prompts: ['greet'],
      baseEtag: s.snapshot().etag,
      delta: { greet: { variants: 'no' } },
    });
    await waitFor(() => errors.length > 0, 'the malformed delta to be reported');
    expect(errors[0]?.message).toMatch(/not one this SDK understands .*prompts\["greet"\]/);
    // The malformed event still means "something changed": the client asks the snapshot endpoint.
    await waitFor(() => s.requests.filter((r) => r.path.endsWith('/snapshot')).length === 2, 'a fetch');
    expect(c.prompt('greet').render()).toBe('v1');
  });

  it('keeps resolving from memory when the server stops, reports it to onError, and reconnects', async () => {
    const s = await server();
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'Hello {{name}}')]);
    const { client: c, errors } = client(s);
    await c.ready();
    await waitFor(() => c.connection === 'streaming', 'the stream to open');
    await s.stop();
    await waitFor(() => errors.length >= 2, 'reconnect failures to reach onError');
    expect(errors.every((e) => isAppError(e))).toBe(true);
    expect(errors.some((e) => /Could not reach Promptline/.test(e.message))).toBe(true);
    expect(c.prompt('greet', { unit: 'u' }).render({ name: 'Ada' })).toBe('Hello Ada');
    expect(c.prompt('greet').source).toBe('server');

    // Back on the same port with a new release: the client reconnects and catches up from the
    // connect event alone (deployed before the server can accept the client's connection).
    const again = await server({ port: s.port });
    again.deploy('greet', { variants: [{ version: 2, weight: 10_000 }] }, [textVersion(2, 'Hi {{name}}')]);
    await waitFor(() => c.prompt('greet').version === 2, 'the client to reconnect and catch up');
    expect(c.prompt('greet').render({ name: 'Ada' })).toBe('Hi Ada');
    expect(again.requests.map((r) => r.path)).toEqual(['/api/v1/environments/production/stream']);
  });

  it('writes a disk copy and serves it to a new client while the server is down', async () => {
    const dir = await tempDir();
    const cachePath = join(dir, 'nested', 'production.json');
    const s = await server();
    s.deploy('greet', { variants: [{ version: 3, weight: 10_000 }] }, [textVersion(3, 'Hello {{name}}')]);
    const first = client(s, { cachePath });
    await first.client.ready();
    await first.client.close();
    const copy = JSON.parse(await readFile(cachePath, 'utf8')) as {
      etag: string;
      snapshot: { etag: string };
    };
    expect(copy.snapshot.etag).toBe(s.snapshot().etag);
    await s.stop();

    const { client: c, errors } = client({ url: s.url, apiKey: s.apiKey }, { cachePath });
    expect(await c.ready()).toBe('cache');
    const prompt = c.prompt('greet', { unit: 'u1' });
    expect(prompt).toMatchObject({ version: 3, source: 'cache' });
    expect(prompt.render({ name: 'Ada' })).toBe('Hello Ada');
    expect(errors.some((e) => /Could not reach/.test(e.message))).toBe(true);

    // When the server returns with the same snapshot, the client finds it by itself (stream
    // reconnect) and a 304 promotes the copy to "server", although the ETag did not change.
    // (An ETag-only server here; one that inlines confirms it with the connect event, below.)
    const back = await server({ port: s.port, inlineMaxBytes: 0 });
    back.deploy('greet', { variants: [{ version: 3, weight: 10_000 }] }, [textVersion(3, 'Hello {{name}}')]);
    await waitFor(() => c.prompt('greet').source === 'server', 'the server to confirm the disk copy');
    expect(back.requests.filter((r) => r.path.endsWith('/snapshot'))).toContainEqual(
      expect.objectContaining({ ifNoneMatch: copy.etag, status: 304 }),
    );
  });

  it('confirms a disk copy with the connect event of a server that inlines snapshots', async () => {
    const dir = await tempDir();
    const cachePath = join(dir, 'production.json');
    const s = await server();
    s.deploy('greet', { variants: [{ version: 3, weight: 10_000 }] }, [textVersion(3, 'Hello {{name}}')]);
    const first = client(s, { cachePath });
    await first.client.ready();
    await first.client.close();
    await s.stop();

    const { client: c } = client({ url: s.url, apiKey: s.apiKey }, { cachePath });
    expect(await c.ready()).toBe('cache');
    const back = await server({ port: s.port });
    back.deploy('greet', { variants: [{ version: 3, weight: 10_000 }] }, [textVersion(3, 'Hello {{name}}')]);
    await waitFor(() => c.prompt('greet').source === 'server', 'the connect event to confirm the copy');
    expect(back.requests.filter((r) => r.path.endsWith('/snapshot'))).toEqual([]);
  });

  it('rewrites the disk copy on every change through a temp file and rename', async () => {
    const dir = await tempDir();
    const cachePath = join(dir, 'snap.json');
    const s = await server();
    s.deploy('a', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'A1')]);
    const { client: c, errors } = client(s, { cachePath });
    await c.ready();
    for (let i = 2; i <= 5; i++) {
      const updated = nextUpdate(c);
      s.deploy('a', { variants: [{ version: i, weight: 10_000 }] }, [textVersion(i, `A${i}`)]);
      await updated;
    }
    await c.close();
    expect(await readdir(dir)).toEqual(['snap.json']);
    const copy = JSON.parse(await readFile(cachePath, 'utf8')) as { snapshot: { etag: string } };
    expect(copy.snapshot.etag).toBe(s.snapshot().etag);
    expect(errors).toEqual([]);
  });

  it('serves fallbacks when nothing was ever loaded, and DEPLOYMENT_NOT_FOUND for the rest', async () => {
    const dead = await deadPort();
    const { client: c, errors } = client(dead, {
      fallbacks: {
        greet: { type: 'text', template: 'Hello {{name}} (fallback)' },
        chat: {
          type: 'chat',
          messages: [{ role: 'system', content: 'Be {{tone}}.' }],
          config: { model: 'gpt-4o' },
        },
      },
    });
    expect(await c.ready({ timeoutMs: 3_000 })).toBe('fallback');
    const greet = c.prompt('greet', { unit: 'u' });
    expect(greet).toMatchObject({ source: 'fallback', version: 0, variant: 0, variables: ['name'] });
    expect(greet.render({ name: 'Ada' })).toBe('Hello Ada (fallback)');
    expect(c.prompt('chat').render({ tone: 'brief' })).toEqual([{ role: 'system', content: 'Be brief.' }]);
    let thrown: unknown;
    try {
      c.prompt('other');
    } catch (error) {
      thrown = error;
    }
    expect(isAppError(thrown) && thrown.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('polls with If-None-Match when the stream endpoint answers 404', async () => {
    const s = await server({ stream: false });
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'v1')]);
    const { client: c, errors } = client(s, { pollIntervalMs: 50 });
    await c.ready();
    await waitFor(() => c.connection === 'polling', 'polling mode');
    await waitFor(() => s.requests.some((r) => r.status === 304), 'a 304 poll');
    const updated = nextUpdate(c);
    s.deploy('greet', { variants: [{ version: 2, weight: 10_000 }] }, [textVersion(2, 'v2')]);
    await updated;
    expect(c.prompt('greet').render()).toBe('v2');
    const polls = s.requests.filter((r) => r.path.endsWith('/snapshot')).slice(1);
    expect(polls.every((r) => r.ifNoneMatch !== undefined)).toBe(true);
    // A missing stream is a supported server shape, not an error.
    expect(errors).toEqual([]);
  });

  it('serves the fallback while a release is switched off, DEPLOYMENT_NOT_FOUND without one', async () => {
    const s = await server();
    s.deploy('guarded', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'live')]);
    s.deploy('bare', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'bare live')]);
    const { client: c } = client(s, { fallbacks: { guarded: { type: 'text', template: 'safe default' } } });
    await c.ready();
    expect(c.prompt('guarded').render()).toBe('live');

    let updated = nextUpdate(c, (e) => e.changed.includes('bare'));
    s.setEnabled('guarded', false);
    s.setEnabled('bare', false);
    await updated;
    expect(c.prompt('guarded')).toMatchObject({ source: 'fallback' });
    expect(c.prompt('guarded').render()).toBe('safe default');
    expect(() => c.prompt('bare')).toThrow(/kill switch/);

    updated = nextUpdate(c, (e) => e.changed.includes('guarded'));
    s.setEnabled('guarded', true);
    await updated;
    expect(c.prompt('guarded').render()).toBe('live');
  });

  it('reports a wrong API key to onError and to error listeners, and never throws', async () => {
    const s = await server();
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'hi')]);
    const listened: AppError[] = [];
    const { client: c, errors } = client({ url: s.url, apiKey: 'wrong' }, { updates: 'off' });
    c.on('error', (e) => {
      listened.push(e);
      throw new Error('a throwing listener must not break the client');
    });
    await expect(c.ready()).resolves.toBe('fallback');
    await c.refresh();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.code).toBe('UNAUTHORIZED');
    expect(errors[0]?.message).toMatch(/apiKey/);
    expect(listened.length).toBeGreaterThan(0);
    expect(() => c.prompt('greet')).toThrow(expect.objectContaining({ code: 'DEPLOYMENT_NOT_FOUND' }));
  });

  it('reopens a stream that goes silent (heartbeat watchdog)', async () => {
    // Heartbeats far apart on the server, a short watchdog on the client.
    const s = await server({ heartbeatMs: 60_000 });
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'hi')]);
    const { client: c, errors } = client(s, { heartbeatTimeoutMs: 150 });
    await c.ready();
    await waitFor(
      () => s.requests.filter((r) => r.path.endsWith('/stream')).length >= 3,
      'the client to reopen the silent stream twice',
    );
    expect(errors.some((e) => /silent for 150 ms/.test(e.message))).toBe(true);
    expect(c.prompt('greet').render()).toBe('hi');
  });

  it('stops every request and timer on close()', async () => {
    const s = await server({ stream: false });
    s.deploy('greet', { variants: [{ version: 1, weight: 10_000 }] }, [textVersion(1, 'hi')]);
    const { client: c } = client(s, { pollIntervalMs: 20 });
    await c.ready();
    await c.close();
    expect(c.connection).toBe('closed');
    const count = s.requests.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(s.requests.length).toBe(count);
    // Memory keeps serving after close.
    expect(c.prompt('greet').render()).toBe('hi');
  });
});
