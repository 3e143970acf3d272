/**
 * What `promptline eval` shows: a live progress bar on stderr (TTY only), the summary table at the
 * end, and the Markdown summary for pull-request comments.
 */
import type { EvalProgress, EvalResult, RunOutcome } from '@promptline/core/node';
import type { ConfigSources } from './config.ts';

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function usd(x: number): string {
  return x === 0 ? '$0' : x < 0.01 ? `$${x.toFixed(5)}` : `$${x.toFixed(4)}`;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The end-of-run summary for the terminal. */
export function formatSummaryTable(outcome: RunOutcome): string {
  const s = outcome.summary;
  const rows = s.groups.map((g) => [
    g.promptLabel.length > 40 ? `${g.promptLabel.slice(0, 37)}...` : g.promptLabel,
    g.providerLabel,
    `${g.passed}/${g.total}`,
    pct(g.passRate),
    g.meanScore.toFixed(3),
    usd(g.costUsd),
    `${Math.round(g.latencyP50Ms)}`,
    `${Math.round(g.latencyP95Ms)}`,
  ]);
  const lines = [
    table(['prompt', 'provider', 'passed', 'pass rate', 'score', 'cost', 'p50 ms', 'p95 ms'], rows),
    '',
    `${s.passed} passed, ${s.failed} failed${s.errors ? ` (${s.errors} errors)` : ''} of ${s.total} in ${(outcome.durationMs / 1000).toFixed(1)} s · ${usd(s.costUsd)}`,
  ];
  if (outcome.comparison) {
    const c = outcome.comparison;
    lines.push(
      `vs baseline: ${c.regressions} regressions, ${c.fixes} fixes, mean score ${c.meanScoreDelta >= 0 ? '+' : ''}${c.meanScoreDelta.toFixed(3)} (${c.compared} compared, ${c.added} new)`,
    );
    for (const r of c.regressionSamples.slice(0, 5))
      lines.push(`  regression: ${r.description ?? r.key} — ${r.reason}`);
  }
  for (const check of outcome.thresholds.checks) {
    lines.push(
      `${check.met ? '✓' : '✗'} ${check.name}: ${check.actual.toPrecision(4)} (limit ${check.limit})`,
    );
  }
  if (outcome.cancelled) lines.push('Cancelled: the results above are partial.');
  lines.push(outcome.thresholds.met ? 'Thresholds met.' : 'Thresholds NOT met.');
  return `${lines.join('\n')}\n`;
}

/** The Markdown summary (`-o summary.md`), fit for a pull-request comment. */
export function formatMarkdownSummary(
  outcome: RunOutcome,
  description: string | null,
  failures: EvalResult[],
  sources: ConfigSources | null = null,
): string {
  const s = outcome.summary;
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const from: string[] = [];
  if (sources?.prompts.length)
    from.push(`prompts ${sources.prompts.map((p) => `\`${p.name}@v${p.version}\``).join(', ')}`);
  if (sources?.datasets.length)
    from.push(`dataset ${sources.datasets.map((d) => `\`${d.name}\` (revision ${d.revision})`).join(', ')}`);
  const out = [
    `## ${outcome.thresholds.met ? '✅' : '❌'} Promptline eval${description ? `: ${esc(description)}` : ''}`,
    '',
    `**${s.passed}/${s.total} passed** (${pct(s.passRate)}), cost ${usd(s.costUsd)}, ${(outcome.durationMs / 1000).toFixed(1)} s`,
    ...(from.length > 0 ? ['', `From the registry: ${from.join('; ')}.`] : []),
    '',
    '| Prompt | Provider | Pass rate | Score | Cost | p50 / p95 ms |',
    '|---|---|---|---|---|---|',
    ...s.groups.map(
      (g) =>
        `| ${esc(g.promptLabel)} | ${esc(g.providerLabel)} | ${pct(g.passRate)} (${g.passed}/${g.total}) | ${g.meanScore.toFixed(3)} | ${usd(g.costUsd)} | ${Math.round(g.latencyP50Ms)} / ${Math.round(g.latencyP95Ms)} |`,
    ),
  ];
  if (outcome.comparison) {
    const c = outcome.comparison;
    out.push(
      '',
      `**Baseline:** ${c.regressions} regressions, ${c.fixes} fixes, mean score Δ ${c.meanScoreDelta.toFixed(3)}`,
    );
    for (const r of c.regressionSamples)
      out.push(`- regression: ${esc(r.description ?? r.key)} — ${esc(r.reason)}`);
  }
  if (outcome.thresholds.checks.length > 0) {
    out.push('', '| Threshold | Actual | Limit | Met |', '|---|---|---|---|');
    for (const c of outcome.thresholds.checks)
      out.push(`| ${c.name} | ${c.actual.toPrecision(4)} | ${c.limit} | ${c.met ? '✅' : '❌'} |`);
  }
  if (failures.length > 0) {
    out.push('', '<details><summary>First failures</summary>', '');
    for (const f of failures) {
      out.push(
        `- **${esc(f.description ?? JSON.stringify(f.vars))}** (${esc(f.promptLabel)} × ${esc(f.providerLabel)}): ${esc(f.reason)}`,
      );
    }
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}

/** A progress bar redrawn at most 10 times a second on a TTY stream. */
export function createProgressBar(stream: NodeJS.WriteStream) {
  let last = 0;
  let drawn = false;
  const draw = (p: EvalProgress) => {
    const width = 24;
    const filled = p.total ? Math.round((p.done / p.total) * width) : width;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    stream.write(`\r${bar} ${p.done}/${p.total}  ✓ ${p.passed}  ✗ ${p.failed}  ${usd(p.costUsd)}\u001b[K`);
    drawn = true;
  };
  return {
    update(p: EvalProgress) {
      const now = Date.now();
      if (now - last < 100 && p.done !== p.total) return;
      last = now;
      draw(p);
    },
    done() {
      if (drawn) stream.write('\r\u001b[K');
    },
  };
}
