/**
 * Reads the results file `promptline eval -o` writes — JSON (`{version, results: [...], summary, …}`)
 * or JSONL (one result per line) — into core's result shape. Every result is checked with core's
 * `UploadedEvalResult` schema, all of them before anything is stored, so a refused upload writes
 * nothing and a stored one always reads back. The links a result carries (`registry` version,
 * dataset `item`, `metadata`) are kept: the importer files the run under that prompt, version and
 * dataset revision.
 */
import { AppError, type EvalResult, UploadedEvalResult } from '@promptline/core';
import { assertJsonDepth, assertNoNul } from '../http/input-guards.ts';

function bad(where: string, message: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `${where}: ${message}. Upload the JSON or JSONL file written by \`promptline eval -o\` (nothing was stored).`,
    { errors: [{ path: where, message }] },
  );
}

function check(value: unknown, where: string): EvalResult {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(where, 'is not a result object');
  const parsed = UploadedEvalResult.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [where, ...(issue?.path ?? []).map(String)].join('.');
    throw bad(path, issue?.message ?? 'is invalid');
  }
  const r = parsed.data;
  return {
    key: r.key,
    promptId: r.promptId,
    promptLabel: r.promptLabel ?? r.promptId,
    providerId: r.providerId,
    providerLabel: r.providerLabel ?? r.providerId,
    caseIndex: r.caseIndex,
    repeatIndex: r.repeatIndex,
    description: r.description,
    vars: r.vars,
    prompt: r.prompt,
    output: r.output,
    toolCalls: r.toolCalls,
    error: r.error,
    pass: r.pass,
    score: r.score ?? (r.pass ? 1 : 0),
    reason: r.reason,
    assertions: r.assertions,
    namedScores: r.namedScores,
    latencyMs: r.latencyMs,
    usage: r.usage,
    costUsd: r.costUsd,
    cached: r.cached,
    ...(r.registry ? { registry: r.registry } : {}),
    ...(r.item ? { item: r.item } : {}),
    ...(r.metadata ? { metadata: r.metadata } : {}),
  };
}

/** Every result of a JSON results document, checked. */
export function resultsFromJson(doc: unknown): EvalResult[] {
  const results = (doc as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw bad('results', 'the document has no "results" list');
  return results.map((r, i) => check(r, `results.${i}`));
}

/** Every result of a JSONL text (one per non-blank line), checked. */
export function resultsFromJsonl(text: string): EvalResult[] {
  const out: EvalResult[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (!line) continue;
    let value: unknown;
    assertJsonDepth(line);
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw bad(`line ${i + 1}`, `not valid JSON (${(error as Error).message})`);
    }
    assertNoNul(value, `line ${i + 1}`);
    out.push(check(value, `line ${i + 1}`));
  }
  return out;
}
