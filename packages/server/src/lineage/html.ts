/**
 * The lineage report as a printable HTML page (for an auditor, or a PDF through the browser's
 * print dialog): self-contained, no script, every value escaped.
 */
import { escapeMarkup } from '@promptline/core';
import type { Lineage } from './service.ts';

const percent = (weight: number) => `${(weight / 100).toFixed(weight % 100 === 0 ? 0 : 2)}%`;

export function lineageHtml(lineage: Lineage): string {
  const e = escapeMarkup;
  const rows = lineage.versions
    .map((version) => {
      const live = version.live
        .map(
          (l) => `<tr>
  <td>${e(l.from)}</td><td>${l.until === null ? '<strong>live now</strong>' : e(l.until)}</td>
  <td>${percent(l.weight)}</td><td>${e(l.action)} by ${e(l.actor)}${l.reason ? `: ${e(l.reason)}` : ''}</td>
  <td>${l.approvedBy.length > 0 ? `${l.approvedBy.map(e).join(', ')} (request ${l.requestId})` : '—'}</td>
  <td>${l.gate ? `run ${l.gate.runId}${l.gate.dataset ? ` on ${e(l.gate.dataset)}` : ''}` : '—'}</td>
  <td>${l.redteamGate ? `red-team run ${l.redteamGate.runId}` : '—'}</td>
  <td><code>${l.proof ? `event ${l.proof.eventId} ${e(l.proof.eventHash.slice(0, 16))}…` : 'not sealed'}</code></td>
</tr>`,
        )
        .join('\n');
      return `<section>
<h2>v${version.number} <small>${e(version.semver)}</small></h2>
<p>Written by <strong>${e(version.author)}</strong> at ${e(version.createdAt)}${version.message ? ` — “${e(version.message)}”` : ''}<br>
Content hash <code>${e(version.hash)}</code></p>
<table>
<thead><tr><th>Live from</th><th>Until</th><th>Share</th><th>Change</th><th>Approved by</th><th>Eval gate</th><th>Red-team gate</th><th>Audit proof</th></tr></thead>
<tbody>
${live}
</tbody>
</table>
</section>`;
    })
    .join('\n');
  const chain = lineage.chain;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lineage of ${e(lineage.prompt)} in ${e(lineage.environment)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #111; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
code { font-size: 12px; }
section { break-inside: avoid; }
.chain { padding: 6px 10px; border: 2px solid ${chain.ok ? '#2a7' : '#c22'}; }
</style>
</head>
<body>
<h1>Lineage of <code>${e(lineage.prompt)}</code> in ${e(lineage.environment)}</h1>
<p>Every version that was live, who wrote it, who approved it, which eval run let it through and when it was live. Generated ${e(lineage.generatedAt)}.</p>
<p class="chain">Audit chain: <strong>${chain.ok ? 'verified' : 'NOT verified'}</strong> — ${chain.checked} events, ${chain.rowsChecked ?? 0} sealed rows recomputed${chain.head ? `; head <code>${e(chain.head.hash)}</code>` : ''}${(chain.tampered?.length ?? 0) > 0 ? `; ${chain.tampered?.length} altered rows` : ''}.</p>
${rows || '<p>Nothing of this prompt has been live in this environment.</p>'}
</body>
</html>
`;
}
