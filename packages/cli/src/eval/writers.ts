/**
 * Result files of `promptline eval -o`: JSON, JSONL, CSV, HTML, JUnit XML and a Markdown summary.
 * Every writer streams results to disk as they come (with backpressure), so memory stays flat
 * whatever the suite size; the summary is written at the end.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { extname } from 'node:path';
import { escapeMarkup } from '@promptline/core/markup';
import type { EvalResult, EvalSink, RunOutcome } from '@promptline/core/node';
import type { ConfigSources } from './config.ts';
import { csvField } from './csv.ts';
import { formatMarkdownSummary } from './report.ts';

/** Output formats by file extension. */
export const OUTPUT_FORMATS = ['.json', '.jsonl', '.csv', '.html', '.xml', '.md'];

async function write(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function end(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

function open(path: string): WriteStream {
  return createWriteStream(path, { encoding: 'utf8' });
}

function jsonSink(path: string, description: string | null, sources: ConfigSources | null): EvalSink {
  const stream = open(path);
  let first = true;
  let started = false;
  const start = async () => {
    if (started) return;
    started = true;
    const from = sources ? `"sources":${JSON.stringify(sources)},` : '';
    await write(stream, `{"version":1,"description":${JSON.stringify(description)},${from}"results":[\n`);
  };
  return {
    async onResult(r) {
      await start();
      const sep = first ? '' : ',\n';
      first = false;
      await write(stream, sep + JSON.stringify(r));
    },
    async close(outcome) {
      await start();
      await write(
        stream,
        `\n],"summary":${JSON.stringify(outcome.summary)},"comparison":${JSON.stringify(outcome.comparison)},"thresholds":${JSON.stringify(outcome.thresholds)},"cancelled":${outcome.cancelled}}\n`,
      );
      await end(stream);
    },
  };
}

function jsonlSink(path: string): EvalSink {
  const stream = open(path);
  return {
    onResult: (r) => write(stream, `${JSON.stringify(r)}\n`),
    close: () => end(stream),
  };
}

const CSV_COLUMNS = [
  'key',
  'prompt',
  'provider',
  'description',
  'vars',
  'output',
  'pass',
  'score',
  'reason',
  'latencyMs',
  'costUsd',
  'cached',
  'error',
];

function csvSink(path: string): EvalSink {
  const stream = open(path);
  let header = false;
  const ensureHeader = async () => {
    if (header) return;
    header = true;
    await write(stream, `${CSV_COLUMNS.join(',')}\n`);
  };
  return {
    async onResult(r) {
      await ensureHeader();
      const row = [
        r.key,
        r.promptLabel,
        r.providerLabel,
        r.description ?? '',
        r.vars,
        r.output,
        r.pass,
        r.score,
        r.reason,
        Math.round(r.latencyMs),
        r.costUsd ?? '',
        r.cached,
        r.error ?? '',
      ];
      await write(stream, `${row.map(csvField).join(',')}\n`);
    },
    async close() {
      await ensureHeader();
      await end(stream);
    },
  };
}

function caseName(r: EvalResult): string {
  if (r.description) return r.description;
  const vars = JSON.stringify(r.vars);
  return vars.length > 80 ? `${vars.slice(0, 77)}...` : vars;
}

function htmlSink(path: string, description: string | null): EvalSink {
  const stream = open(path);
  let started = false;
  const start = async () => {
    if (started) return;
    started = true;
    await write(
      stream,
      `<!doctype html><html><head><meta charset="utf-8"><title>Promptline eval${description ? ` — ${escapeMarkup(description)}` : ''}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;display:flex;flex-direction:column}#summary{order:-1}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}pre{white-space:pre-wrap;margin:0;max-width:60em}.pass{background:#e8f5e9}.fail{background:#ffebee}</style></head><body>
<h1>Promptline eval${description ? ` — ${escapeMarkup(description)}` : ''}</h1>
<table id="results"><thead><tr><th>Prompt</th><th>Provider</th><th>Case</th><th>Output</th><th>Result</th><th>Score</th><th>Latency</th></tr></thead><tbody>\n`,
    );
  };
  return {
    async onResult(r) {
      await start();
      await write(
        stream,
        `<tr class="${r.pass ? 'pass' : 'fail'}"><td>${escapeMarkup(r.promptLabel)}</td><td>${escapeMarkup(r.providerLabel)}</td><td>${escapeMarkup(caseName(r))}</td><td><pre>${escapeMarkup(r.error ?? r.output)}</pre></td><td>${r.pass ? 'PASS' : `FAIL: ${escapeMarkup(r.reason)}`}</td><td>${r.score.toFixed(2)}</td><td>${Math.round(r.latencyMs)} ms</td></tr>\n`,
      );
    },
    async close(outcome) {
      await start();
      const rows = outcome.summary.groups
        .map(
          (g) =>
            `<tr><td>${escapeMarkup(g.promptLabel)}</td><td>${escapeMarkup(g.providerLabel)}</td><td>${(g.passRate * 100).toFixed(1)}% (${g.passed}/${g.total})</td><td>${g.meanScore.toFixed(3)}</td><td>$${g.costUsd.toFixed(4)}</td><td>${Math.round(g.latencyP50Ms)} / ${Math.round(g.latencyP95Ms)} ms</td></tr>`,
        )
        .join('\n');
      await write(
        stream,
        `</tbody></table>
<section id="summary"><h2>Summary: ${outcome.thresholds.met ? 'thresholds met' : 'thresholds NOT met'}</h2>
<table><thead><tr><th>Prompt</th><th>Provider</th><th>Pass rate</th><th>Mean score</th><th>Cost</th><th>Latency p50 / p95</th></tr></thead><tbody>${rows}</tbody></table></section>
</body></html>\n`,
      );
      await end(stream);
    },
  };
}

function junitSink(path: string, description: string | null): EvalSink {
  // Counts belong in the opening tag but are known only at the end: test cases stream to a side
  // file, and the final file is assembled from it.
  const casesPath = `${path}.cases.tmp`;
  const cases = open(casesPath);
  return {
    async onResult(r) {
      const name = escapeMarkup(caseName(r));
      const classname = escapeMarkup(`${r.promptLabel} › ${r.providerLabel}`);
      const time = (r.latencyMs / 1000).toFixed(3);
      let body = '';
      if (r.error !== null) body = `<error message="${escapeMarkup(r.error)}"/>`;
      else if (!r.pass)
        body = `<failure message="${escapeMarkup(r.reason)}">${escapeMarkup(r.output)}</failure>`;
      await write(
        cases,
        `    <testcase classname="${classname}" name="${name}" time="${time}">${body}</testcase>\n`,
      );
    },
    async close(outcome) {
      await end(cases);
      const s = outcome.summary;
      const out = open(path);
      await write(
        out,
        `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="${s.total}" failures="${s.failed - s.errors}" errors="${s.errors}" time="${(outcome.durationMs / 1000).toFixed(3)}">\n  <testsuite name="${escapeMarkup(description ?? 'promptline eval')}" tests="${s.total}" failures="${s.failed - s.errors}" errors="${s.errors}">\n`,
      );
      for await (const chunk of createReadStream(casesPath, 'utf8')) await write(out, chunk as string);
      await write(out, '  </testsuite>\n</testsuites>\n');
      await end(out);
      await unlink(casesPath);
    },
  };
}

function markdownSink(path: string, description: string | null, sources: ConfigSources | null): EvalSink {
  // Only the first failures are kept for the report: bounded, whatever the suite size.
  const failures: EvalResult[] = [];
  return {
    onResult(r) {
      if (!r.pass && failures.length < 20) failures.push(r);
    },
    async close(outcome) {
      const stream = open(path);
      await write(stream, formatMarkdownSummary(outcome, description, failures, sources));
      await end(stream);
    },
  };
}

/**
 * A sink writing results to `path` in the format its extension names.
 *
 * @throws Error for an unknown extension (the command checks first).
 */
export function createResultWriter(
  path: string,
  description: string | null,
  sources: ConfigSources | null = null,
): EvalSink {
  // Sources are recorded only when something came from the server (local runs stay unchanged).
  const from = sources && (sources.prompts.length > 0 || sources.datasets.length > 0) ? sources : null;
  switch (extname(path).toLowerCase()) {
    case '.json':
      return jsonSink(path, description, from);
    case '.jsonl':
      return jsonlSink(path);
    case '.csv':
      return csvSink(path);
    case '.html':
      return htmlSink(path, description);
    case '.xml':
      return junitSink(path, description);
    case '.md':
      return markdownSink(path, description, from);
    default:
      throw new Error(`Unknown output format "${path}": use ${OUTPUT_FORMATS.join(', ')}`);
  }
}

export type { RunOutcome };
