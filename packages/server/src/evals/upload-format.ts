/**
 * Reads the results file `promptline eval -o` writes — JSON (`{version, results: [...], summary, …}`)
 * or JSONL (one result per line) — into core's result shape, checking each entry enough to store it.
 * The links a result carries (`registry` version, dataset `item`, `metadata`) are kept: the importer
 * files the run under that prompt, version and dataset revision.
 */
import { AppError } from '@promptline/core';
import type { EvalResult, ResultDatasetItem, ResultPromptRef } from '@promptline/core/node';

function bad(where: string, message: string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `${where}: ${message}. Upload the JSON or JSONL file written by \`promptline eval -o\`.`,
    {
      errors: [{ path: where, message }],
    },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const positiveInt = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;

/** The registry prompt version a result ran, when the config named one (`{ registry: name, version }`). */
function registryOf(value: unknown, where: string): ResultPromptRef | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || typeof value.name !== 'string' || !value.name || !positiveInt(value.version))
    throw bad(`${where}.registry`, 'needs a prompt "name" and a positive integer "version"');
  return { name: value.name, version: value.version };
}

/** The dataset item (and the dataset revision) a result's case came from. */
function itemOf(value: unknown, where: string): ResultDatasetItem | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    !isRecord(value) ||
    typeof value.dataset !== 'string' ||
    !value.dataset ||
    !Number.isInteger(value.revision) ||
    (value.revision as number) < 0 ||
    !positiveInt(value.itemId)
  )
    throw bad(`${where}.item`, 'needs a "dataset" name, a "revision" and a positive integer "itemId"');
  return { dataset: value.dataset, revision: value.revision as number, itemId: value.itemId };
}

function check(value: unknown, where: string): EvalResult {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(where, 'is not a result object');
  const r = value as Partial<EvalResult>;
  if (typeof r.key !== 'string') throw bad(where, '"key" is missing');
  if (typeof r.pass !== 'boolean') throw bad(where, '"pass" is missing');
  if (typeof r.promptId !== 'string' || typeof r.providerId !== 'string')
    throw bad(where, '"promptId" and "providerId" are needed');
  const registry = registryOf(r.registry, where);
  const item = itemOf(r.item, where);
  return {
    key: r.key,
    promptId: r.promptId,
    promptLabel: typeof r.promptLabel === 'string' ? r.promptLabel : r.promptId,
    providerId: r.providerId,
    providerLabel: typeof r.providerLabel === 'string' ? r.providerLabel : r.providerId,
    caseIndex: Number.isInteger(r.caseIndex) ? (r.caseIndex as number) : 0,
    repeatIndex: Number.isInteger(r.repeatIndex) ? (r.repeatIndex as number) : 0,
    description: typeof r.description === 'string' ? r.description : null,
    vars: r.vars && typeof r.vars === 'object' ? r.vars : {},
    prompt: typeof r.prompt === 'string' ? r.prompt : '',
    output: typeof r.output === 'string' ? r.output : '',
    toolCalls: Array.isArray(r.toolCalls) ? r.toolCalls : [],
    error: typeof r.error === 'string' ? r.error : null,
    pass: r.pass,
    score: typeof r.score === 'number' ? r.score : r.pass ? 1 : 0,
    reason: typeof r.reason === 'string' ? r.reason : '',
    assertions: Array.isArray(r.assertions) ? r.assertions : [],
    namedScores: r.namedScores && typeof r.namedScores === 'object' ? r.namedScores : {},
    latencyMs: typeof r.latencyMs === 'number' ? r.latencyMs : 0,
    usage: r.usage ?? null,
    costUsd: typeof r.costUsd === 'number' ? r.costUsd : null,
    cached: r.cached === true,
    ...(registry ? { registry } : {}),
    ...(item ? { item } : {}),
    ...(isRecord(r.metadata) ? { metadata: r.metadata } : {}),
  };
}

/** Results of a JSON results document, one at a time. */
export function* resultsFromJson(doc: unknown): Generator<EvalResult> {
  const results = (doc as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw bad('results', 'the document has no "results" list');
  for (let i = 0; i < results.length; i++) yield check(results[i], `results.${i}`);
}

/** Results of a JSONL text, one per non-blank line. */
export function* resultsFromJsonl(text: string): Generator<EvalResult> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw bad(`line ${i + 1}`, `not valid JSON (${(error as Error).message})`);
    }
    yield check(value, `line ${i + 1}`);
  }
}
