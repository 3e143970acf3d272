import { Link } from 'wouter';
import type { EvalRun } from '../api/evals.ts';
import { Empty } from '../components/states.tsx';
import { runTotals } from '../lib/eval-matrix.ts';
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
                <Link href={`/evals/${r.id}`}>#{r.id}</Link>
              </td>
              <td>{r.prompt ?? '—'}</td>
              <td>{r.versions.map((v) => `v${v}`).join(', ')}</td>
              <td>{r.models.join(', ')}</td>
              <td>{r.dataset ? `${r.dataset.name} r${r.dataset.revision}` : '—'}</td>
              <td>
                <span className={`badge status-${r.status}`}>{r.status}</span>
              </td>
              <td>{passRate(r)}</td>
              <td title={r.createdAt}>{formatAgo(r.createdAt)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

function passRate(run: EvalRun): string {
  const t = runTotals(run);
  if (t.passRate === null) return '—';
  const share = `${Math.round(t.passRate * 100)}% (${t.passed}/${t.done})`;
  return t.done < t.total ? `${share} · ${t.done}/${t.total} done` : share;
}
