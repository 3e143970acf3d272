import { createPriceBook, SpanInput, type SpanInputDraft } from '@promptline/core';
import { beforeAll, expect, it } from 'vitest';
import { createAuditService } from '../audit/service.ts';
import { bootstrap } from '../bootstrap.ts';
import { createProjectStore } from '../projects/store.ts';
import { forEachDialect } from '../test-helpers/database.ts';
import { createManualClock } from '../test-helpers/server.ts';
import { createTraceMaintenance } from './maintenance.ts';
import { traceDb } from './migration.ts';
import { createPartitionStore, DAY_MS, partitionName } from './partition-store.ts';
import { createTraceService } from './service.ts';
import { createTraceSettingsService } from './settings.ts';
import { noTraceSink } from './sink.ts';
import { newSpanId, newTraceId } from './test-spans.ts';

const T = Date.parse('2026-06-15T12:00:00.000Z');

forEachDialect((dialect, get) => {
  const clock = createManualClock(new Date(T));
  const projects = createProjectStore();
  let a = 0;
  let b = 0;
  const setup = () => {
    const database = get();
    const traces = createTraceService({
      database,
      clock,
      sink: noTraceSink,
      prices: async () => createPriceBook(),
    });
    const settings = createTraceSettingsService({
      database,
      clock,
      audit: createAuditService({ database, clock }),
    });
    const maintenance = createTraceMaintenance({
      database,
      clock,
      projectIds: (db) => projects.listIds(db),
      batchSize: 2,
    });
    return { database, traces, settings, maintenance };
  };
  /** One single-span trace per start time (ms before T); answers the trace ids. */
  const ingestAt = async (
    projectId: number,
    agos: number[],
    extra: Partial<SpanInputDraft> = {},
    base = T,
  ) => {
    const { traces } = setup();
    const ids = agos.map(() => newTraceId());
    const spans = agos.map((ago, i) =>
      SpanInput.parse({
        traceId: ids[i],
        spanId: newSpanId(),
        name: `ago-${ago}`,
        startTime: base - ago,
        endTime: base - ago,
        ...extra,
      }),
    );
    await traces.ingest(projectId, spans, 'api');
    return ids;
  };
  const remaining = async (projectId: number) =>
    (
      await traceDb(get().db)
        .selectFrom('spans')
        .select('name')
        .where('project_id', '=', projectId)
        .orderBy('start_ms')
        .execute()
    ).map((r) => r.name);

  beforeAll(async () => {
    await bootstrap(get(), { clock });
    a = (await projects.findByName(get().db, 'default'))?.id ?? 0;
    b = await projects.insert(get().db, 'other', new Date(T).toISOString());
  });

  it('removes exactly the spans older than each project’s retention, with their scores and trace rows', async () => {
    clock.set(new Date(T));
    const { traces, settings, maintenance, database } = setup();
    const week = 7 * DAY_MS;
    const [old] = await ingestAt(a, [10 * DAY_MS, week + 1, week, DAY_MS, 12 * DAY_MS, 9 * DAY_MS]);
    const [recent] = await ingestAt(a, [DAY_MS]);
    await ingestAt(b, [29 * DAY_MS, 10 * DAY_MS]);
    for (const traceId of [old, recent])
      await traces.score(a, { traceId: traceId ?? '', name: 'q', value: 1, source: 'api' });
    await settings.set(a, { spanRetentionDays: 7 }, 'test');

    const result = await maintenance.applyRetention();
    expect(await remaining(a)).toEqual([`ago-${week}`, `ago-${DAY_MS}`, `ago-${DAY_MS}`]);
    expect(await remaining(b)).toEqual([`ago-${29 * DAY_MS}`, `ago-${10 * DAY_MS}`]);
    expect(result).toMatchObject({ deletedSpans: 4, deletedScores: 1, deletedTraces: 4 });
    const scores = await traceDb(database.db)
      .selectFrom('scores')
      .select('trace_id')
      .where('project_id', '=', a)
      .execute();
    expect(scores.map((s) => s.trace_id)).toEqual([recent]);
    await expect(traces.get(a, old ?? '')).rejects.toMatchObject({ code: 'TRACE_NOT_FOUND' });
    expect((await traces.list(a, { limit: 200 })).items).toHaveLength(3);
    // A second pass finds nothing more.
    expect(await maintenance.applyRetention()).toMatchObject({
      deletedSpans: 0,
      deletedScores: 0,
      deletedTraces: 0,
    });
  });

  if (dialect !== 'postgres') return;

  it('PostgreSQL: days older than every project’s retention go by dropping their partitions', async () => {
    clock.set(new Date(T + 40 * DAY_MS));
    const { settings, maintenance, database } = setup();
    const now = T + 40 * DAY_MS;
    await maintenance.ensurePartitions(undefined, now - 12 * DAY_MS, now);
    await settings.set(a, { spanRetentionDays: 30 }, 'test');
    await ingestAt(a, [11 * DAY_MS, 9 * DAY_MS, 2 * DAY_MS], {}, now);
    await settings.set(a, { spanRetentionDays: 5 }, 'test');
    await settings.set(b, { spanRetentionDays: 8 }, 'test');
    const result = await maintenance.applyRetention();
    const day = (d: number) => partitionName(Math.floor((now - d * DAY_MS) / DAY_MS) * DAY_MS);
    // Every project keeps at most 8 days: whole days ending before now − 8 days are dropped.
    expect(result.droppedPartitions).toContain(day(11));
    expect(result.droppedPartitions).toContain(day(9));
    expect(result.droppedPartitions).not.toContain(day(8));
    expect(result.droppedPartitions).not.toContain(day(2));
    const left = new Set(await createPartitionStore().list(database.db));
    expect(left.has(day(11))).toBe(false);
    expect(left.has(day(2))).toBe(true);
    expect(left.has('spans_default')).toBe(true);
    expect((await remaining(a)).filter((n) => n.startsWith('ago-'))).not.toContain(`ago-${11 * DAY_MS}`);
  });

  it('PostgreSQL: a far-future span lands in the default partition; creating its day moves it in', async () => {
    clock.set(new Date(T));
    const { maintenance, database, settings } = setup();
    await settings.set(a, { spanRetentionDays: 30 }, 'test');
    const partitions = createPartitionStore();
    const [far] = await ingestAt(a, [T - Date.parse('2100-01-01T00:00:00.000Z')]);
    const [soon] = await ingestAt(a, [-10 * DAY_MS]);
    expect(await partitions.partitionsOf(database.db, far ?? '')).toEqual(['spans_default']);
    expect(await partitions.partitionsOf(database.db, soon ?? '')).toEqual(['spans_default']);
    const created = await maintenance.ensurePartitions(undefined, T + 10 * DAY_MS, T + 10 * DAY_MS);
    expect(created).toEqual([partitionName(Math.floor((T + 10 * DAY_MS) / DAY_MS) * DAY_MS)]);
    expect(await partitions.partitionsOf(database.db, soon ?? '')).toEqual(created);
    expect(await partitions.partitionsOf(database.db, far ?? '')).toEqual(['spans_default']);
    // Creating ahead is idempotent.
    expect(await maintenance.ensurePartitions(undefined, T + 10 * DAY_MS, T + 10 * DAY_MS)).toEqual([]);
  });

  it('PostgreSQL: ingestion while a day’s partition is being created neither fails nor loses a span', async () => {
    clock.set(new Date(T));
    const { maintenance } = setup();
    for (let round = 0; round < 4; round++) {
      const day = T + (20 + round) * DAY_MS;
      const writes = Array.from({ length: 6 }, (_, i) => ingestAt(a, [-(20 + round) * DAY_MS - i * 1000]));
      const [created] = await Promise.all([maintenance.ensurePartitions(undefined, day, day), ...writes]);
      expect(created).toHaveLength(1);
      const traceIds = (await Promise.all(writes)).flat();
      const partitions = createPartitionStore();
      for (const traceId of traceIds) {
        expect(await partitions.partitionsOf(get().db, traceId)).toEqual([
          partitionName(Math.floor(day / DAY_MS) * DAY_MS),
        ]);
      }
    }
  });
});
