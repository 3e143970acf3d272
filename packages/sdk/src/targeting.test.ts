/**
 * Targeting in the SDK: the shared vectors (core's targeting-vectors.json) through the snapshot
 * path the client uses, and the real server's resolve compared with the client's local answer,
 * including a segment change arriving live.
 */
import { readFileSync } from 'node:fs';
import type { SegmentDefinition, Snapshot, SnapshotVersion, Targeting } from '@promptline/core';
import { startTestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './client.ts';
import { buildEntries, pick } from './resolve.ts';

interface Vectors {
  match: {
    description: string;
    targeting: Targeting;
    segments: Record<string, SegmentDefinition>;
    context: { unit?: string; attributes?: Record<string, string | number | boolean> };
    match: { version: number } | null;
  }[];
  served: {
    description: string;
    prompt: string;
    release: { variants: { version: number; weight: number }[]; targeting?: Targeting };
    segments: Record<string, SegmentDefinition>;
    context: { unit?: string; attributes?: Record<string, string | number | boolean> };
    index: number;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../core/src/targeting-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

const versionOf = (number: number): SnapshotVersion => ({
  type: 'text',
  template: `v${number}`,
  number,
  semver: `${number}.0.0`,
  config: {},
  variables: [],
  hash: `h${number}`,
});

/** A one-prompt snapshot serving `release`, with content for every version it can serve. */
function snapshotOf(
  name: string,
  release: Vectors['served'][number]['release'],
  segments: Record<string, SegmentDefinition>,
): Snapshot {
  const numbers = new Set([
    ...release.variants.map((v) => v.version),
    ...(release.targeting?.rules ?? []).map((r) => r.version),
    ...(release.targeting?.pins ?? []).map((p) => p.version),
  ]);
  return {
    environment: 'production',
    etag: '"x"',
    generatedAt: new Date(0).toISOString(),
    prompts: {
      [name]: {
        ...release,
        enabled: true,
        versions: Object.fromEntries([...numbers].map((n) => [String(n), versionOf(n)])),
      },
    },
    segments,
  };
}

describe('shared targeting vectors through the SDK snapshot path', () => {
  it('every match vector picks the version the vector names (the split serves version 1 otherwise)', () => {
    for (const v of vectors.match) {
      const release = { variants: [{ version: 1, weight: 10_000 }], targeting: v.targeting };
      const snapshot = snapshotOf('p', release, v.segments);
      const entry = buildEntries(snapshot, 'server', (e) => {
        throw e;
      }).get('p');
      if (!entry) throw new Error('no entry');
      const picked = pick('p', entry, v.context.unit, v.context.attributes, snapshot.segments);
      expect(picked?.version, v.description).toBe(v.match?.version ?? 1);
    }
  });

  it('every served vector answers the same index as the server', () => {
    for (const v of vectors.served) {
      const snapshot = snapshotOf(v.prompt, v.release, v.segments);
      const entry = buildEntries(snapshot, 'server', (e) => {
        throw e;
      }).get(v.prompt);
      if (!entry) throw new Error('no entry');
      expect(
        pick(v.prompt, entry, v.context.unit, v.context.attributes, snapshot.segments)?.variant,
        v.description,
      ).toBe(v.index);
    }
  });
});

describe('SDK targeting against the real server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ dialect: 'sqlite' });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function api(method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  }

  it('resolves locally what /resolve answers for each context, and follows a segment change live', async () => {
    const name = 'sdk/targeted';
    const path = `/api/v1/prompts/${encodeURIComponent(name)}`;
    await api('POST', '/api/v1/prompts', { name, version: { type: 'text', template: 'v1 {{x}}' } });
    for (const n of [2, 3]) await api('POST', `${path}/versions`, { type: 'text', template: `v${n} {{x}}` });
    await api('PUT', '/api/v1/segments/testers', { units: ['t-1'] });
    await api('PUT', `${path}/deployments/production`, {
      variants: [
        { version: 1, weight: 5000 },
        { version: 2, weight: 5000 },
      ],
      targeting: {
        rules: [
          { name: 'big', when: { attribute: 'seats', op: 'gt', value: 100 }, version: 3 },
          { when: { segment: 'testers' }, version: 2 },
        ],
        pins: [{ unit: 'pinned', version: 1 }],
      },
    });
    const client = createClient({ url: server.url, apiKey: server.apiKey, environment: 'production' });
    try {
      await client.ready();
      const contexts: { unit?: string; attributes?: Record<string, string | number> }[] = [
        { unit: 'u-1' },
        { unit: 'u-2' },
        { unit: 'u-3', attributes: { seats: 500 } },
        { unit: 'pinned', attributes: { seats: 500 } },
        { unit: 't-1' },
        { unit: 't-2' },
      ];
      const compare = async () => {
        for (const context of contexts) {
          const query = new URLSearchParams({
            env: 'production',
            ...(context.unit ? { unit: context.unit } : {}),
          });
          for (const [k, v] of Object.entries(context.attributes ?? {})) query.set(`attr.${k}`, String(v));
          const remote = (await api('GET', `${path}/resolve?${query}`)) as {
            version: number;
            variant: number;
          };
          const local = client.prompt(name, context);
          expect({ version: local.version, variant: local.variant }, JSON.stringify(context)).toEqual({
            version: remote.version,
            variant: remote.variant,
          });
        }
      };
      await compare();
      expect(client.prompt(name, { unit: 'u-3', attributes: { seats: 500 } }).render({ x: 'a' })).toBe(
        'v3 a',
      );

      // t-2 joins the testers: the snapshot changes (a new ETag) and the client follows it.
      const before = client.etag;
      await api('PUT', '/api/v1/segments/testers', { units: ['t-1', 't-2'] });
      const deadline = Date.now() + 10_000;
      while (client.etag === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(client.etag).not.toBe(before);
      expect(client.prompt(name, { unit: 't-2' }).version).toBe(2);
      await compare();
    } finally {
      await client.close();
    }
  });
});
