import { Link } from 'wouter';
import type { EvalRun } from '../api/evals.ts';
import { Empty } from '../components/states.tsx';
import { formatAgo } from '../lib/format.ts';

/** A table of eval runs, newest first, each linking to its matrix. */
export function EvalRunsTable({ runs }: { runs: EvalRun[] }) {
  if (runs.length === 0)
    return (
      <Empty title="No eval runs yet">
        Start one from a prompt's Evals tab, or run <code>npx promptline eval</code> in CI.
      </Empty>
    );
  return (
    <table className="table" aria-label="Eval runs">
      <thead>
        <tr>
          <th>Run</th>
          <th>Prompt</th>
          <th>Versions</th>
          <th>Models</th>
          <th>Dataset</th>
          <th>Status</th>
          <th>Pass rate</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {[...runs]
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .map((r) => (
            <tr key={r.id}>
              <td>
                <Link href={`/evals/${encodeURIComponent(String(r.id))}`}>#{String(r.id).slice(0, 8)}</Link>
              </td>
              <td>{r.prompt}</td>
              <td>{r.versions.map((v) => `v${v}`).join(', ')}</td>
              <td>{r.models.map((m) => m.model).join(', ')}</td>
              <td>{r.dataset}</td>
              <td>
                <span className={`badge status-${r.status}`}>{r.status}</span>
              </td>
              <td>
                {r.summary
                  ? `${Math.round(r.summary.passRate * 100)}% (${r.summary.passed}/${r.summary.total})`
                  : '—'}
              </td>
              <td title={r.createdAt}>{formatAgo(r.createdAt)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
