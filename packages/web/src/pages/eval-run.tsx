import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { type EvalResult, evalsApi } from '../api/evals.ts';
import { Empty, QueryView } from '../components/states.tsx';
import { buildMatrix, filterRows, runTotals } from '../lib/eval-matrix.ts';
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
  const baselineId = run.data?.baseline ?? null;
  const baseline = useQuery({
    queryKey: ['eval-run', String(baselineId)],
    queryFn: () => evalsApi.getRun(baselineId ?? 0),
    enabled: baselineId !== null,
  });
  const [params, setParams] = useQueryParams();
  const show = params.show === 'failures' || params.show === 'regressions' ? params.show : 'all';
  const [selected, setSelected] = useState<EvalResult | null>(null);

  return (
    <div className="stack">
      <p className="crumbs">
        <Link href="/evals">Evals</Link> / run #{id}
      </p>
      <QueryView query={run} loadingLabel="Loading run…">
        {(r) => {
          const totals = runTotals(r);
          const base = baseline.data ? runTotals(baseline.data) : null;
          return (
            <header className="card summary">
              <h1>
                {r.prompt ? <Link href={`/prompts/${r.prompt}?tab=evals`}>{r.prompt}</Link> : 'Imported run'}{' '}
                on {r.dataset ? `${r.dataset.name} (revision ${r.dataset.revision})` : 'inline cases'}
              </h1>
              <p className="muted">
                <span className={`badge status-${r.status}`}>{r.status}</span> · started{' '}
                {formatTime(r.createdAt)} by {r.createdBy} · versions{' '}
                {r.versions.map((v) => `v${v}`).join(', ') || '—'} · {r.models.join(', ')}
              </p>
              {r.error ? <p className="del">{r.error}</p> : null}
              <div className="stats" data-testid="eval-summary">
                <Stat
                  label="Pass rate"
                  value={totals.passRate === null ? '—' : `${Math.round(totals.passRate * 100)}%`}
                />
                <Stat label="Passed" value={String(totals.passed)} />
                <Stat label="Failed" value={String(totals.failed)} />
                {totals.errors > 0 ? <Stat label="Errors" value={String(totals.errors)} /> : null}
                <Stat label="Cells done" value={`${totals.done}/${totals.total}`} />
                <Stat label="Cost" value={formatUsd(totals.costUsd)} />
                {r.thresholdsMet !== null ? (
                  <Stat label="Thresholds" value={r.thresholdsMet ? 'met' : 'not met'} />
                ) : null}
                {base?.passRate != null && totals.passRate !== null && baseline.data ? (
                  <Stat
                    label={`vs baseline #${baseline.data.id}`}
                    value={`${totals.passRate >= base.passRate ? '+' : ''}${Math.round((totals.passRate - base.passRate) * 100)} pts`}
                  />
                ) : null}
              </div>
              {r.summary && r.summary.length > 0 ? (
                <table className="table" aria-label="Summary per version and model">
                  <thead>
                    <tr>
                      <th>Version</th>
                      <th>Model</th>
                      <th>Pass rate</th>
                      <th>Mean score</th>
                      <th>Cost / case</th>
                      <th>p95 latency</th>
                      <th>Thresholds</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.summary.map((g) => (
                      <tr key={`${g.version}-${g.model}`}>
                        <td>{g.version === null ? g.promptLabel : `v${g.version}`}</td>
                        <td>{g.model}</td>
                        <td>
                          {Math.round(g.passRate * 100)}% ({g.passed}/{g.total})
                        </td>
                        <td>{g.meanScore.toFixed(2)}</td>
                        <td>{formatUsd(g.costPerCaseUsd)}</td>
                        <td>{formatMs(g.latencyP95Ms)}</td>
                        <td title={g.reasons.join('\n')}>{g.thresholdsMet ? 'met' : 'not met'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </header>
          );
        }}
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
                          <small> {cell.score.toFixed(2)}</small>
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
              Case #{selected.caseIndex + 1} · {selected.version === null ? 'prompt' : `v${selected.version}`}{' '}
              · {selected.model}
            </h2>
            <p>
              <span className={selected.pass ? 'badge pass' : 'badge fail'}>
                {selected.pass ? 'pass' : 'fail'}
              </span>
              {` · ${formatMs(selected.latencyMs)} · ${formatUsd(selected.costUsd)}`}
            </p>
            {selected.description ? <p>{selected.description}</p> : null}
            {selected.error ? <p className="del">{selected.error}</p> : null}
            {selected.reason ? <p className="small">{selected.reason}</p> : null}
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
                  {` (${a.score.toFixed(2)})`}
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
