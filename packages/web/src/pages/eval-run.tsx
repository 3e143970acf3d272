import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { type EvalResult, evalsApi } from '../api/evals.ts';
import { Empty, QueryView } from '../components/states.tsx';
import { buildMatrix, filterRows } from '../lib/eval-matrix.ts';
import { formatMs, formatTime, formatUsd } from '../lib/format.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

/** One eval run as a matrix of cases × (version, model), coloured by pass/fail. URL: `/evals/<id>?show=failures`. */
export default function EvalRunPage({ id }: { id: string }) {
  const run = useQuery({
    queryKey: ['eval-run', id],
    queryFn: () => evalsApi.getRun(id),
    refetchInterval: (q) =>
      q.state.data && ['queued', 'running'].includes(q.state.data.status) ? 1500 : false,
  });
  const running = run.data ? ['queued', 'running'].includes(run.data.status) : false;
  const results = useQuery({
    queryKey: ['eval-results', id],
    queryFn: () => evalsApi.results(id),
    refetchInterval: running ? 1500 : false,
  });
  const baseline = useQuery({
    queryKey: ['eval-run', run.data?.baseline ?? ''],
    queryFn: () => evalsApi.getRun(run.data?.baseline ?? ''),
    enabled: Boolean(run.data?.baseline),
  });
  const [params, setParams] = useQueryParams();
  const show = params.show === 'failures' || params.show === 'regressions' ? params.show : 'all';
  const [selected, setSelected] = useState<EvalResult | null>(null);

  return (
    <div className="stack">
      <p className="crumbs">
        <Link href="/evals">Evals</Link> / run {id}
      </p>
      <QueryView query={run} loadingLabel="Loading run…">
        {(r) => (
          <header className="card summary">
            <h1>
              <Link href={`/prompts/${r.prompt}?tab=evals`}>{r.prompt}</Link> on {r.dataset}
            </h1>
            <p className="muted">
              <span className={`badge status-${r.status}`}>{r.status}</span> · started{' '}
              {formatTime(r.createdAt)} · versions {r.versions.map((v) => `v${v}`).join(', ')} ·{' '}
              {r.models.map((m) => `${m.provider}/${m.model}`).join(', ')}
            </p>
            {r.summary ? (
              <div className="stats" data-testid="eval-summary">
                <Stat label="Pass rate" value={`${Math.round(r.summary.passRate * 100)}%`} />
                <Stat label="Passed" value={String(r.summary.passed)} />
                <Stat label="Failed" value={String(r.summary.failed)} />
                <Stat label="Cases × columns" value={String(r.summary.total)} />
                {r.summary.costUsd !== undefined ? (
                  <Stat label="Cost" value={formatUsd(r.summary.costUsd)} />
                ) : null}
                {baseline.data?.summary ? (
                  <Stat
                    label={`vs baseline #${String(baseline.data.id).slice(0, 8)}`}
                    value={`${r.summary.passRate >= baseline.data.summary.passRate ? '+' : ''}${Math.round((r.summary.passRate - baseline.data.summary.passRate) * 100)} pts`}
                  />
                ) : null}
              </div>
            ) : (
              <p className="muted">Summary appears when the run finishes.</p>
            )}
          </header>
        )}
      </QueryView>
      <QueryView query={results} loadingLabel="Loading results…">
        {(items) => (
          <Matrix
            results={items}
            show={show}
            onShow={(s) => setParams({ show: s === 'all' ? null : s }, true)}
            selected={selected}
            onSelect={setSelected}
          />
        )}
      </QueryView>
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <span className="muted small">{label}</span>
      <strong>{value}</strong>
    </div>
  );
}

function Matrix({
  results,
  show,
  onShow,
  selected,
  onSelect,
}: {
  results: EvalResult[];
  show: 'all' | 'failures' | 'regressions';
  onShow: (s: 'all' | 'failures' | 'regressions') => void;
  selected: EvalResult | null;
  onSelect: (r: EvalResult | null) => void;
}) {
  const matrix = useMemo(() => buildMatrix(results), [results]);
  const rows = filterRows(matrix, show);
  if (results.length === 0) return <Empty title="No results yet" />;
  return (
    <div className="matrix-layout">
      <section>
        <div className="toolbar">
          <fieldset className="segmented" aria-label="Show">
            <legend className="sr-only">Show</legend>
            {(['all', 'failures', 'regressions'] as const).map((s) => (
              <label key={s} className={show === s ? 'active' : ''}>
                <input type="radio" name="matrix-show" checked={show === s} onChange={() => onShow(s)} />
                {s === 'all' ? 'All cases' : s === 'failures' ? 'Failures' : 'Regressions'}
              </label>
            ))}
          </fieldset>
          <span className="muted small">
            {rows.length} of {matrix.rows.length} cases
          </span>
        </div>
        <div className="matrix-scroll">
          <table className="matrix" data-testid="eval-matrix">
            <thead>
              <tr>
                <th>Case</th>
                {matrix.columns.map((c) => (
                  <th key={c.key}>
                    {c.key}
                    <div className="muted small">
                      {c.passed}/{c.total} pass
                    </div>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.caseIndex}>
                  <th scope="row">#{row.caseIndex + 1}</th>
                  {row.cells.map((cell, i) =>
                    cell ? (
                      <td key={matrix.columns[i]?.key} className={cell.pass ? 'cell pass' : 'cell fail'}>
                        <button
                          type="button"
                          aria-pressed={selected === cell}
                          aria-label={`Case ${row.caseIndex + 1}, ${matrix.columns[i]?.key}: ${cell.pass ? 'pass' : 'fail'}`}
                          onClick={() => onSelect(selected === cell ? null : cell)}
                        >
                          {cell.pass ? '✓' : '✗'}
                          {cell.score !== null && cell.score !== undefined ? (
                            <small> {cell.score.toFixed(2)}</small>
                          ) : null}
                        </button>
                      </td>
                    ) : (
                      <td key={matrix.columns[i]?.key} className="cell none">
                        —
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <aside className="card result-detail" aria-label="Result detail" aria-live="polite">
        {selected ? (
          <>
            <h2>
              Case #{selected.caseIndex + 1} · v{selected.version} · {selected.model}
            </h2>
            <p>
              <span className={selected.pass ? 'badge pass' : 'badge fail'}>
                {selected.pass ? 'pass' : 'fail'}
              </span>
              {selected.latencyMs !== undefined ? ` · ${formatMs(selected.latencyMs)}` : ''}
              {selected.costUsd !== undefined ? ` · ${formatUsd(selected.costUsd)}` : ''}
            </p>
            <h3>Output</h3>
            <pre className="output">{selected.output}</pre>
            <h3>Assertions</h3>
            <ul className="plain">
              {selected.assertions.map((a, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: assertions are positional
                <li key={i} className={a.pass ? 'ins' : 'del'}>
                  <strong>
                    {a.pass ? '✓' : '✗'} {a.type}
                  </strong>
                  {a.score !== null && a.score !== undefined ? ` (${a.score.toFixed(2)})` : ''}
                  {a.reason ? <div className="small">{a.reason}</div> : null}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="muted">Click a cell to see the output and each assertion's reason.</p>
        )}
      </aside>
    </div>
  );
}
