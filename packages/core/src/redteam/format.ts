/**
 * The report as JUnit XML (one test suite per plugin, one test case per finding or per clean
 * plugin), Markdown (for a pull-request comment) and a self-contained HTML page.
 */
import { escapeMarkup } from '../markup.ts';
import type { RedteamReport } from './report.ts';
import { SEVERITIES } from './types.ts';

const xml = escapeMarkup;
const html = escapeMarkup;

/** One line of Markdown table text: no pipes or line breaks. */
function cell(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** JUnit XML: a failure per finding (errors as errors), a passing case per plugin without findings. */
export function formatRedteamJunit(report: RedteamReport): string {
  const suites: string[] = [];
  for (const plugin of report.plugins) {
    const findings = report.findings.filter((f) => f.plugin === plugin);
    const errors = report.errors.filter((e) => e.plugin === plugin);
    const cases = findings.map(
      (f) =>
        `    <testcase classname="redteam.${xml(plugin)}" name="${xml(`${f.probe} [${f.severity}] ${f.detector}`)}">\n      <failure message="${xml(`${f.severity}: ${f.evidence}`)}" type="${xml(f.owasp.id)}">${xml(`Attack:\n${f.attack}\n\nOutput:\n${f.output}\n\nMitigation: ${f.mitigation}`)}</failure>\n    </testcase>`,
    );
    for (const e of errors) {
      cases.push(
        `    <testcase classname="redteam.${xml(plugin)}" name="${xml(e.probe)}">\n      <error message="${xml(e.message)}"/>\n    </testcase>`,
      );
    }
    if (cases.length === 0)
      cases.push(`    <testcase classname="redteam.${xml(plugin)}" name="${xml(`${plugin}: no finding`)}"/>`);
    suites.push(
      `  <testsuite name="${xml(plugin)}" tests="${cases.length}" failures="${findings.length}" errors="${errors.length}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="promptline redteam ${xml(report.prompt)}" tests="${report.probes}" failures="${report.findings.length}" errors="${report.errors.length}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** A Markdown summary: verdict, counts by severity and OWASP category, then each finding. */
export function formatRedteamMarkdown(report: RedteamReport): string {
  const lines: string[] = [];
  const verdict = report.passed ? '✅ passed' : '❌ failed';
  lines.push(`# Red team: ${report.prompt}`, '');
  lines.push(
    `${verdict} (fail on ${report.failOn} and above) — ${report.probes} probes against \`${report.provider}\`, ${report.summary.findings} findings, ${report.summary.errors} errors.`,
    '',
  );
  lines.push('| severity | findings |', '|---|---|');
  for (const s of [...SEVERITIES].reverse()) lines.push(`| ${s} | ${report.summary.bySeverity[s]} |`);
  lines.push('');
  const owasp = Object.entries(report.summary.byOwasp);
  if (owasp.length > 0) {
    lines.push('| OWASP LLM Top 10 | findings |', '|---|---|');
    for (const [id, entry] of owasp) lines.push(`| ${id} ${entry?.title ?? ''} | ${entry?.findings ?? 0} |`);
    lines.push('');
  }
  if (report.findings.length > 0) {
    lines.push(
      '## Findings',
      '',
      '| severity | plugin | strategy | evidence | attack | output |',
      '|---|---|---|---|---|---|',
    );
    for (const f of report.findings) {
      lines.push(
        `| ${f.severity} | ${f.plugin} (${f.owasp.id}) | ${f.strategy} | ${cell(f.evidence)} | ${cell(f.attack, 120)} | ${cell(f.output, 120)} |`,
      );
    }
    lines.push('', '## Mitigations', '');
    const seen = new Set<string>();
    for (const f of report.findings) {
      if (seen.has(f.plugin)) continue;
      seen.add(f.plugin);
      lines.push(`- **${f.plugin}**: ${f.mitigation}`);
    }
    lines.push('');
  }
  if (report.errors.length > 0) {
    lines.push('## Errors', '');
    for (const e of report.errors) lines.push(`- ${e.probe}: ${cell(e.message, 300)}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** A self-contained HTML page (inline CSS, no script). */
export function formatRedteamHtml(report: RedteamReport): string {
  const rows = report.findings
    .map(
      (f) =>
        `<tr class="sev-${f.severity}"><td>${html(f.severity)}</td><td>${html(f.plugin)}<br><small>${html(`${f.owasp.id} ${f.owasp.title}`)}</small></td><td>${html(f.strategy)}</td><td>${html(f.evidence)}<details><summary>mitigation</summary>${html(f.mitigation)}</details></td><td><pre>${html(f.turns.join('\n\n— next turn —\n\n'))}</pre></td><td><pre>${html(f.output)}</pre></td></tr>`,
    )
    .join('\n');
  const counts = [...SEVERITIES]
    .reverse()
    .map((s) => `<li class="sev-${s}">${s}: ${report.summary.bySeverity[s]}</li>`)
    .join('');
  const errors = report.errors.map((e) => `<li>${html(e.probe)}: ${html(e.message)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Red team: ${html(report.prompt)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left}pre{white-space:pre-wrap;max-height:16rem;overflow:auto;margin:0}.sev-critical td:first-child,.sev-critical{color:#8b0000;font-weight:bold}.sev-high td:first-child,.sev-high{color:#c0392b}.sev-medium td:first-child,.sev-medium{color:#b9770e}.passed{color:#1e8449}.failed{color:#c0392b}</style></head>
<body><h1>Red team: ${html(report.prompt)}</h1>
<p class="${report.passed ? 'passed' : 'failed'}">${report.passed ? 'Passed' : 'Failed'} (fail on ${html(report.failOn)} and above): ${report.probes} probes against <code>${html(report.provider)}</code>, ${report.summary.findings} findings, ${report.summary.errors} errors, ${report.durationMs} ms.</p>
<ul>${counts}</ul>
<table><thead><tr><th>severity</th><th>plugin</th><th>strategy</th><th>evidence</th><th>attack</th><th>output</th></tr></thead><tbody>
${rows}
</tbody></table>
${errors ? `<h2>Errors</h2><ul>${errors}</ul>` : ''}
</body></html>
`;
}

/** The report formats by name, each with the file extension the CLI's `-o` recognises it by. */
export const REDTEAM_REPORT_WRITERS = {
  json: {
    extension: '.json',
    mediaType: 'application/json',
    write: (r: RedteamReport) => `${JSON.stringify(r, null, 2)}\n`,
  },
  junit: { extension: '.xml', mediaType: 'application/xml', write: formatRedteamJunit },
  markdown: { extension: '.md', mediaType: 'text/markdown', write: formatRedteamMarkdown },
  html: { extension: '.html', mediaType: 'text/html', write: formatRedteamHtml },
} as const;

/** The name of a report format. */
export type RedteamReportFormatName = keyof typeof REDTEAM_REPORT_WRITERS;

/**
 * The report as one of the shipped formats (what the CLI writes and the server downloads).
 *
 * @example formatRedteamReport(report, 'junit')
 */
export function formatRedteamReport(report: RedteamReport, format: RedteamReportFormatName): string {
  return REDTEAM_REPORT_WRITERS[format].write(report);
}
