/** One event of a Langfuse ingestion batch, checked and typed by its kind (see ingestion.ts). */
import {
  LangfuseIngestionEvent,
  type LangfuseIngestionResponse,
  LangfuseObservationBody,
  LangfuseScoreBody,
  LangfuseTraceBody,
} from '@promptline/core';
import type { z } from 'zod';
import type { ObservationType } from './mapping.ts';

const OBSERVATION_EVENTS: Record<string, { type: ObservationType; op: 'create' | 'update' }> = {
  'span-create': { type: 'span', op: 'create' },
  'span-update': { type: 'span', op: 'update' },
  'generation-create': { type: 'generation', op: 'create' },
  'generation-update': { type: 'generation', op: 'update' },
  'event-create': { type: 'event', op: 'create' },
};

type Result = LangfuseIngestionResponse;
export type Parsed =
  | { eventId: string; kind: 'trace'; body: LangfuseTraceBody }
  | {
      eventId: string;
      kind: 'observation';
      type: ObservationType;
      op: 'create' | 'update';
      body: LangfuseObservationBody;
    }
  | { eventId: string; kind: 'score'; body: LangfuseScoreBody };

export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Parses one event; a refusal is recorded in `result` and answers undefined. `now` starts a create that names no start. */
export function parseEvent(raw: unknown, index: number, result: Result, now: string): Parsed | undefined {
  const event = LangfuseIngestionEvent.safeParse(raw);
  if (!event.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    result.errors.push({
      id: typeof id === 'string' ? id : `batch.${index}`,
      status: 400,
      message: `Invalid event: ${issuesText(event.error)}`,
    });
    return undefined;
  }
  const { id: eventId, type } = event.data;
  const fail = (message: string) => {
    result.errors.push({ id: eventId, status: 400, message });
    return undefined;
  };
  if (type === 'sdk-log') {
    result.successes.push({ id: eventId, status: 201 });
    return undefined;
  }
  const legacy = type === 'observation-create' || type === 'observation-update';
  const legacyType = String(event.data.body.type ?? '').toLowerCase();
  const mapped = legacy
    ? OBSERVATION_EVENTS[`${legacyType}-${type === 'observation-create' ? 'create' : 'update'}`]
    : OBSERVATION_EVENTS[type];
  // A create may leave its id to the event's (Langfuse then uses the event id).
  const body = { ...event.data.body };
  if (legacy) delete body.type;
  if (type === 'trace-create') {
    body.id ??= eventId;
    const trace = LangfuseTraceBody.safeParse(body);
    return trace.success
      ? { eventId, kind: 'trace', body: trace.data }
      : fail(`Invalid trace: ${issuesText(trace.error)}`);
  }
  if (type === 'score-create') {
    const score = LangfuseScoreBody.safeParse(body);
    if (!score.success) return fail(`Invalid score: ${issuesText(score.error)}`);
    return { eventId, kind: 'score', body: { ...score.data, id: score.data.id ?? eventId } };
  }
  if (!mapped) {
    return fail(
      `Event type "${type}"${legacy ? ` with body.type "${legacyType}"` : ''} is not supported by Promptline (see docs/langfuse.md).`,
    );
  }
  if (mapped.op === 'create') {
    body.id ??= eventId;
    // A create without a start started when it was sent: only updates lack one (see `isComplete`).
    body.startTime ??= event.data.timestamp ?? now;
  }
  const observation = LangfuseObservationBody.safeParse(body);
  if (!observation.success) return fail(`Invalid observation: ${issuesText(observation.error)}`);
  return { eventId, kind: 'observation', ...mapped, body: observation.data };
}
