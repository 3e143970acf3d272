/**
 * Uploads a finished local eval run to a Promptline server (`POST /api/v1/eval-runs/import`), where
 * it is stored as a run with source `cli`: its results, summary and threshold verdict show next to
 * the server's own runs. Used by `promptline eval` when PROMPTLINE_URL is set.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalRun } from '@promptline/core';
import type { EvalSink } from '@promptline/core/node';
import { toApiError } from '../api-client.ts';
import { UnreachableError } from '../errors.ts';
import { createResultWriter } from './writers.ts';

export interface UploadOptions {
  /** Base URL of the server (PROMPTLINE_URL). */
  url: string;
  /** API key with the editor role (PROMPTLINE_API_KEY). */
  apiKey?: string | undefined;
  /** Registry prompt the run evaluated, so the prompt's thresholds are checked and the run is listed with it. */
  prompt?: string | undefined;
  /** Default 120 000 ms: uploads can be large. */
  timeoutMs?: number;
}

/**
 * Uploads a results file written by `promptline eval -o` (`.json` or `.jsonl`).
 *
 * @throws ApiError when the server refuses it (e.g. 422 naming the bad line), UnreachableError when there is no server.
 * @example
 * const run = await uploadEvalResults('results.jsonl', { url: process.env.PROMPTLINE_URL, apiKey: process.env.PROMPTLINE_API_KEY });
 * console.log(`Uploaded as run ${run.id}: ${run.thresholdsMet ? 'thresholds met' : 'thresholds NOT met'}`);
 */
export async function uploadEvalResults(file: string, options: UploadOptions): Promise<EvalRun> {
  const base = options.url.replace(/\/+$/, '');
  const jsonl = file.toLowerCase().endsWith('.jsonl');
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': jsonl ? 'application/x-ndjson' : 'application/json',
  };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const search = options.prompt ? `?prompt=${encodeURIComponent(options.prompt)}` : '';
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1/eval-runs/import${search}`, {
      method: 'POST',
      headers,
      body: await readFile(file, 'utf8'),
      signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
    });
  } catch (error) {
    throw new UnreachableError(base, error);
  }
  const text = await response.text();
  if (!response.ok) throw toApiError(response, text);
  return JSON.parse(text) as EvalRun;
}

/** A sink that also uploads the run when it ends; `run` holds the server's answer afterwards. */
export interface UploadSink extends EvalSink {
  run: EvalRun | null;
}

/**
 * A result sink for `runEval` that streams results to a temporary JSONL file (memory stays flat) and
 * uploads it when the run closes; the file is removed afterwards. A cancelled run is not uploaded.
 *
 * @example
 * const upload = process.env.PROMPTLINE_URL ? await createUploadSink({ url: process.env.PROMPTLINE_URL, apiKey }) : null;
 * await runEval(suite, { sinks: [...sinks, ...(upload ? [upload] : [])] });
 * if (upload?.run) process.stderr.write(`Uploaded as run ${upload.run.id}\n`);
 */
export async function createUploadSink(options: UploadOptions): Promise<UploadSink> {
  const dir = await mkdtemp(join(tmpdir(), 'promptline-upload-'));
  const file = join(dir, 'results.jsonl');
  const writer = createResultWriter(file, null);
  let wrote = false;
  const sink: UploadSink = {
    run: null,
    async onResult(result) {
      wrote = true;
      await writer.onResult(result);
    },
    async close(outcome) {
      try {
        await writer.close?.(outcome);
        if (wrote && !outcome.cancelled) sink.run = await uploadEvalResults(file, options);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  return sink;
}
