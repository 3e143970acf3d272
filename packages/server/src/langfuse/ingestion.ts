/**
 * `POST /api/public/ingestion`: Langfuse's tracing events onto Promptline's spans and scores,
 * through the traces service only.
 *
 * Spans are append-only in Promptline, while Langfuse sends an observation as a create and later
 * updates (its end, output, usage), possibly in later batches. So an observation is kept as a
 * working row (`langfuse_pending`, this feature's table) merged with every event until it has
 * ended, and only then written as one span; an event (a point in time) is written at once. A
 * trace's attributes are kept the same way, for the spans written after them. A score waits in a
 * row until its span (or, for a trace-level score, any span of its trace) is written. Everything
 * is durable before the 207 answers. Observations never ended are written by the
 * `langfuse.ingestion` job after `unfinishedAfterMs`, and old rows are pruned by it.
 */
import {
  AppError,
  type LangfuseIngestionResponse,
  LangfuseObservationBody,
  LangfuseScoreBody,
  LangfuseTraceBody,
  SpanInput,
} from '@promptline/core';
import { z } from 'zod';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { JobService } from '../jobs/service.ts';
import type { TraceService } from '../traces/service.ts';
import { issuesText, parseEvent } from './events.ts';
import {
  hasEnded,
  mergeBody,
  OBSERVATION_TYPE_KEY,
  type ObservationType,
  observationSpan,
  scoreRequest,
} from './mapping.ts';
import { createLangfuseStore, type PendingRow } from './store.ts';

export const LANGFUSE_INGESTION_JOB = 'langfuse.ingestion';

type Result = LangfuseIngestionResponse;

interface Observation {
  row: PendingRow;
  eventIds: string[];
}

export interface LangfuseIngestionOptions {
  database: Database;
  clock: Clock;
  traces: Pick<TraceService, 'ingest' | 'score'>;
  /** How long an observation may wait for its end before it is written as it is (default 15 min). */
  unfinishedAfterMs?: number;
  /** How long traces, written rows and waiting scores are kept (default 24 h). */
  keepMs?: number;
}

const typeOf = (row: PendingRow): ObservationType => {
  const t = row.body[OBSERVATION_TYPE_KEY];
  return t === 'generation' || t === 'event' ? t : 'span';
};

/** Ended, and its create seen (creates always carry a start): ready to be written as a span. */
function isComplete(row: PendingRow): boolean {
  const body = observationBody(row);
  return hasEnded(typeOf(row), body) && body.startTime !== undefined && body.startTime !== null;
}

/** The Langfuse body of a working row (without the type this feature keeps beside it). */
function observationBody(row: PendingRow): LangfuseObservationBody {
  const { [OBSERVATION_TYPE_KEY]: _type, ...body } = row.body;
  return LangfuseObservationBody.parse(body);
}

export function createLangfuseIngestionService(options: LangfuseIngestionOptions) {
  const { database, clock, traces } = options;
  const store = createLangfuseStore();
  const unfinishedAfterMs = options.unfinishedAfterMs ?? 15 * 60_000;
  const keepMs = options.keepMs ?? 86_400_000;

  /**
   * One batch (or upkeep run) of a project at a time in this process: a batch reads the working
   * rows, merges and writes them back, so two batches of one observation (its create and its end,
   * flushed by the SDK in overlapping requests) must not interleave, or one merge would be lost.
   */
  const tails = new Map<number, Promise<void>>();
  function serialized<T>(projectId: number, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(projectId) ?? Promise.resolve();
    const run = previous.then(work);
    // The queue only orders the work: each caller gets its own outcome from `run`.
    const tail = run.then(
      () => undefined,
      (error: unknown) => void error,
    );
    tails.set(projectId, tail);
    void tail.then(() => {
      if (tails.get(projectId) === tail) tails.delete(projectId);
    });
    return run;
  }

  /**
   * Writes ended observations as spans (one batch through the traces service), then records them
   * as written. Answers the ids written; refusals are reported per observation through `refuse`.
   */
  async function writeSpans(
    projectId: number,
    ready: { row: PendingRow; trace: LangfuseTraceBody | undefined; unfinished?: boolean }[],
    refuse: (row: PendingRow, status: number, message: string) => void,
  ): Promise<Set<string>> {
    const spans: { row: PendingRow; span: SpanInput }[] = [];
    for (const { row, trace, unfinished } of ready) {
      const candidate = observationSpan(typeOf(row), observationBody(row), trace, row.traceId, {
        unfinished,
      });
      const span = SpanInput.safeParse(candidate);
      if (span.success) spans.push({ row, span: span.data });
      else refuse(row, 400, `The observation cannot be stored as a span: ${issuesText(span.error)}`);
    }
    const written = new Set<string>();
    if (spans.length === 0) return written;
    try {
      await traces.ingest(
        projectId,
        spans.map((s) => s.span),
        'api',
      );
      for (const s of spans) written.add(s.row.id);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // All or nothing for the batch: try each alone, so one refused span fails only its events.
      for (const s of spans) {
        try {
          await traces.ingest(projectId, [s.span], 'api');
          written.add(s.row.id);
        } catch (one) {
          if (!(one instanceof AppError)) throw one;
          refuse(s.row, one.status, one.message);
        }
      }
    }
    return written;
  }

  /**
   * Attaches scores whose span is written (skipping ones already attached); keeps the others
   * waiting. Answers the rows to store.
   */
  async function settleScores(
    projectId: number,
    scores: { row: PendingRow; eventId?: string }[],
    result: Result,
  ): Promise<void> {
    if (scores.length === 0) return;
    const targets = scores.flatMap((s) => (s.row.target ? [s.row.target] : []));
    const traceIds = scores.filter((s) => !s.row.target).map((s) => s.row.traceId);
    const [targetRows, traceRows] = await Promise.all([
      store.find(database.db, projectId, 'observation', targets),
      store.ofTraces(database.db, projectId, 'observation', traceIds),
    ]);
    const writtenObservations = new Set(targetRows.filter((r) => r.written).map((r) => r.id));
    const tracesWithSpans = new Set(traceRows.filter((r) => r.written).map((r) => r.traceId));
    const now = isoNow(clock);
    for (const { row, eventId } of scores) {
      const ready = row.target ? writtenObservations.has(row.target) : tracesWithSpans.has(row.traceId);
      if (!ready) {
        await store.upsert(database.db, projectId, [{ ...row, updatedAt: now }]);
        if (eventId) result.successes.push({ id: eventId, status: 201 });
        continue;
      }
      try {
        await traces.score(projectId, scoreRequest(LangfuseScoreBody.parse(row.body)));
        await store.upsert(database.db, projectId, [{ ...row, written: true, updatedAt: now }]);
        if (eventId) result.successes.push({ id: eventId, status: 201 });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // A waiting score that cannot be attached is dropped, as the event would have been refused.
        await store.upsert(database.db, projectId, [{ ...row, written: true, updatedAt: now }]);
        if (eventId) result.errors.push({ id: eventId, status: error.status, message: error.message });
      }
    }
  }

  /** Scores waiting for these traces, now that some of their spans were written. */
  async function waitingScores(projectId: number, traceIds: string[]) {
    const rows = await store.ofTraces(database.db, projectId, 'score', traceIds);
    return rows.filter((r) => !r.written).map((row) => ({ row }));
  }

  async function ingestBatch(projectId: number, batch: unknown[]): Promise<Result> {
    const result: Result = { successes: [], errors: [] };
    const parsed = batch.flatMap((raw, i) => parseEvent(raw, i, result, isoNow(clock)) ?? []);
    const now = isoNow(clock);

    // Observations: each create and update merged, in order, into what earlier batches left.
    const obsEvents = parsed.filter((p) => p.kind === 'observation');
    const stored = new Map(
      (
        await store.find(
          database.db,
          projectId,
          'observation',
          obsEvents.map((e) => e.body.id),
        )
      ).map((r) => [r.id, r]),
    );
    const observations = new Map<string, Observation>();
    for (const e of obsEvents) {
      const known =
        observations.get(e.body.id) ??
        (stored.has(e.body.id) ? { row: stored.get(e.body.id) as PendingRow, eventIds: [] } : undefined);
      if (known?.row.written) {
        // Already a span: a create again is a retry (nothing to do); an update comes too late.
        if (e.op === 'create') result.successes.push({ id: e.eventId, status: 201 });
        else {
          result.errors.push({
            id: e.eventId,
            status: 409,
            message: `Observation ${e.body.id} has ended and is stored as a span; Promptline spans are immutable, so updates after the end are not applied. Send output and usage with the end (e.g. generation.end({ output, usage })).`,
          });
        }
        continue;
      }
      const base = known?.row.body ?? {};
      const traceId = e.body.traceId ?? known?.row.traceId;
      if (!traceId) {
        result.errors.push({
          id: e.eventId,
          status: 400,
          message: `Observation ${e.body.id} has no traceId.`,
        });
        continue;
      }
      // An update may arrive before its create (overlapping requests): what the updates said wins.
      const merged = e.op === 'create' ? mergeBody({ ...e.body }, base) : mergeBody(base, { ...e.body });
      const body = {
        ...merged,
        [OBSERVATION_TYPE_KEY]: e.op === 'create' ? e.type : (base[OBSERVATION_TYPE_KEY] ?? e.type),
      };
      observations.set(e.body.id, {
        row: {
          kind: 'observation',
          id: e.body.id,
          traceId,
          target: null,
          body,
          written: false,
          createdAt: known?.row.createdAt ?? now,
          updatedAt: now,
        },
        eventIds: [...(known?.eventIds ?? []), e.eventId],
      });
    }

    // Traces: merged the same way (a trace-create again is Langfuse's trace update).
    const traceEvents = parsed.filter((p) => p.kind === 'trace');
    const traceIds = [
      ...new Set([
        ...traceEvents.map((t) => t.body.id),
        ...[...observations.values()].map((o) => o.row.traceId),
      ]),
    ];
    const traceRows = new Map(
      (await store.find(database.db, projectId, 'trace', traceIds)).map((r) => [r.id, r]),
    );
    const touchedTraces = new Set<string>();
    for (const t of traceEvents) {
      const known = traceRows.get(t.body.id);
      traceRows.set(t.body.id, {
        kind: 'trace',
        id: t.body.id,
        traceId: t.body.id,
        target: null,
        body: mergeBody(known?.body ?? {}, t.body),
        written: false,
        createdAt: known?.createdAt ?? now,
        updatedAt: now,
      });
      touchedTraces.add(t.body.id);
      result.successes.push({ id: t.eventId, status: 201 });
    }
    const traceOf = (id: string) => {
      const row = traceRows.get(id);
      return row ? LangfuseTraceBody.parse(row.body) : undefined;
    };

    // Ended observations become spans; the rest wait.
    const refused = new Set<string>();
    const ready = [...observations.values()].filter((o) => isComplete(o.row));
    const written = await writeSpans(
      projectId,
      ready.map((o) => ({ row: o.row, trace: traceOf(o.row.traceId) })),
      (row, status, message) => {
        refused.add(row.id);
        for (const id of observations.get(row.id)?.eventIds ?? [])
          result.errors.push({ id, status, message });
      },
    );
    const keep: PendingRow[] = [...traceRows.values()].filter((r) => touchedTraces.has(r.id));
    for (const o of observations.values()) {
      if (refused.has(o.row.id)) continue;
      keep.push({ ...o.row, written: written.has(o.row.id) });
      for (const id of o.eventIds) result.successes.push({ id, status: 201 });
    }
    if (keep.length > 0) {
      await database.db.transaction().execute((trx) => store.upsert(trx, projectId, keep));
    }

    // Scores: this batch's, and those that waited for the spans just written.
    const batchScores = parsed
      .filter((p) => p.kind === 'score')
      .map((s) => ({
        eventId: s.eventId,
        row: {
          kind: 'score' as const,
          id: s.body.id ?? s.eventId,
          traceId: s.body.traceId,
          target: s.body.observationId ?? null,
          body: s.body,
          written: false,
          createdAt: now,
          updatedAt: now,
        },
      }));
    const already = new Set(
      (
        await store.find(
          database.db,
          projectId,
          'score',
          batchScores.map((s) => s.row.id),
        )
      )
        .filter((r) => r.written)
        .map((r) => r.id),
    );
    for (const s of batchScores.filter((x) => already.has(x.row.id)))
      result.successes.push({ id: s.eventId, status: 201 });
    const writtenTraces = [...new Set([...written].map((id) => observations.get(id)?.row.traceId ?? ''))];
    const waiting = written.size > 0 ? await waitingScores(projectId, writtenTraces) : [];
    await settleScores(
      projectId,
      [
        ...batchScores.filter((x) => !already.has(x.row.id)),
        ...waiting.filter((w) => !batchScores.some((b) => b.row.id === w.row.id)),
      ],
      result,
    );
    return result;
  }

  const service = {
    /**
     * Maps a batch of Langfuse events: every event is answered in `successes` (201) or `errors`
     * (with the status and message of its refusal), and what succeeded is durable.
     */
    ingest(projectId: number, batch: unknown[]): Promise<Result> {
      return serialized(projectId, () => ingestBatch(projectId, batch));
    },

    /**
     * Upkeep: writes observations that never ended (as zero-length spans marked
     * `langfuse.unfinished`) and prunes rows older than the keep time. Answers what it did.
     */
    async upkeep(): Promise<{ flushed: number; pruned: number }> {
      const nowMs = clock.now().getTime();
      const rows = await store.unfinished(
        database.db,
        new Date(nowMs - unfinishedAfterMs).toISOString(),
        1_000,
      );
      const byProject = new Map<number, PendingRow[]>();
      for (const { projectId, ...row } of rows)
        byProject.set(projectId, [...(byProject.get(projectId) ?? []), row]);
      let flushed = 0;
      const now = isoNow(clock);
      for (const [projectId, candidates] of byProject) {
        // Read again under the project's turn: a batch may have ended or written one meanwhile.
        flushed += await serialized(projectId, async () => {
          const pending = (
            await store.find(
              database.db,
              projectId,
              'observation',
              candidates.map((r) => r.id),
            )
          ).filter((r) => !r.written && r.updatedAt === candidates.find((c) => c.id === r.id)?.updatedAt);
          const traceRows = new Map(
            (
              await store.find(
                database.db,
                projectId,
                'trace',
                pending.map((r) => r.traceId),
              )
            ).map((r) => [r.id, r]),
          );
          const dropped: PendingRow[] = [];
          const written = await writeSpans(
            projectId,
            pending.map((row) => {
              const trace = traceRows.get(row.traceId);
              return {
                row,
                trace: trace ? LangfuseTraceBody.parse(trace.body) : undefined,
                unfinished: true,
              };
            }),
            (row) => dropped.push(row),
          );
          // Refused ones are marked written too: retrying them every run would fail the same way.
          const done = pending.filter((r) => written.has(r.id) || dropped.includes(r));
          await store.upsert(
            database.db,
            projectId,
            done.map((r) => ({ ...r, written: true, updatedAt: now })),
          );
          const traceIds = [...new Set(pending.filter((r) => written.has(r.id)).map((r) => r.traceId))];
          await settleScores(projectId, await waitingScores(projectId, traceIds), {
            successes: [],
            errors: [],
          });
          return written.size;
        });
      }
      const pruned = await store.prune(database.db, new Date(nowMs - keepMs).toISOString());
      return { flushed, pruned };
    },

    /** Registers the upkeep job with the runner, every minute. */
    register(jobs: JobService): void {
      jobs.register({
        kind: LANGFUSE_INGESTION_JOB,
        payload: z.object({}),
        maxAttempts: 3,
        run: async () => {
          await service.upkeep();
        },
      });
      jobs.every(LANGFUSE_INGESTION_JOB, 60);
    },
  };
  return service;
}

export type LangfuseIngestionService = ReturnType<typeof createLangfuseIngestionService>;
