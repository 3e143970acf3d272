import type { EvalComparison } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { type EvalResult, type EvalRun, evalsApi } from '../api/evals.ts';
import { Empty, Loading, ProblemView, QueryView } from '../components/states.tsx';
import {
  type CellChange,
  cellId,
  changesByCell,
  defaultBaseline,
  formatPoints,
  formatScoreDelta,
} from '../lib/eval-compare.ts';
import { buildMatrix, filterRows, runTotals } from '../lib/eval-matrix.ts';
import { formatMs, formatTime, formatUsd } from '../lib/format.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

/**
 * One eval run as a matrix of cases × (version, model), coloured by pass/fail, compared with a
 * baseline run. URL: `/evals/<id>?show=failures|regressions&baseline=<run id>|none`.
 */
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
  const [params, setParams] = useQueryParams();
  const show = params.show === 'failures' || params.show === 'regressions' ? params.show : 'all';
  // Candidates for the baseline picker: the other runs of the same prompt.
  const promptName = run.data?.prompt ?? null;
  const siblings = useQuery({
    queryKey: ['eval-runs', promptName ?? ''],
    queryFn: () => evalsApi.listRuns(promptName ? { prompt: promptName } : {}),
    enabled: promptName !== null,
  });
  const baselineId: number | null =
    params.baseline === 'none'
      ? null
      : Number(params.baseline) > 0
        ? Number(params.baseline)
        : run.data
          ? defaultBaseline(run.data, siblings.data ?? [])
          : null;
  const baseline = useQuery({
    queryKey: ['eval-run', String(baselineId)],
    queryFn: () => evalsApi.getRun(baselineId ?? 0),
    enabled: baselineId !== null,
  });
  const comparison = useQuery({
    queryKey: ['eval-compare', id, baselineId],
    queryFn: () => evalsApi.compare(id, baselineId ?? 0),
    enabled: baselineId !== null && String(baselineId) !== id,
    refetchInterval: running ? 1500 : false,
  });
  const changes = useMemo(() => (comparison.data ? changesByCell(comparison.data) : null), [comparison.data]);
  const [selected, setSelected] = useState<EvalResult | null>(null);

  return (
    <div className="stack">
      <p className="crumbs">
        <Link href="/evals">Evals</Link> / run #{id}
      </p>
      <QueryView query={run} loadingLabel="Loading run…">
        {(r) => {
          const totals = runTotals(r);
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
      {run.data ? (
        <BaselineCard
          run={run.data}
          candidates={(siblings.data ?? []).filter((c) => c.id !== run.data?.id)}
          baselineId={baselineId}
          baseline={baseline.data ?? null}
          comparison={comparison}
          onPick={(b) => setParams({ baseline: b === null ? 'none' : b }, true)}
        />
      ) : null}
      <QueryView query={results} loadingLabel="Loading results…">
        {(items) => (
          <Matrix
            results={items}
            show={show}
            onShow={(s) => setParams({ show: s === 'all' ? null : s }, true)}
            selected={selected}
            onSelect={setSelected}
            changes={changes}
            baselineId={changes ? baselineId : null}
          />
        )}
      </QueryView>
    </div>
  );
}

function Stat({ label, value, tone }: { label: string; value: string; tone?: 'good' | 'bad' | undefined }) {
  return (
    <div className={tone ? `stat ${tone}` : 'stat'}>
      <span className="muted small">{label}</span>
      <strong>{value}</strong>
    </div>
  );
}

/** Picks the baseline run and shows the server's comparison: regressions, fixes, score deltas. */
function BaselineCard({
  run,
  candidates,
  baselineId,
  baseline,
  comparison,
  onPick,
}: {
  run: EvalRun;
  candidates: EvalRun[];
  baselineId: number | null;
  baseline: EvalRun | null;
  comparison: {
    data: EvalComparison | undefined;
    error: unknown;
    isPending: boolean;
    refetch: () => unknown;
  };
  onPick: (id: number | null) => void;
}) {
  const options = [...candidates]
    .sort((a, b) => b.id - a.id)
    .map((o) => ({ id: o.id, label: runLabel(o, run) }));
  // A baseline from the URL or the run itself that is not among this prompt's runs still shows.
  if (baselineId !== null && !options.some((o) => o.id === baselineId)) {
    options.unshift({ id: baselineId, label: baseline ? runLabel(baseline, run) : `#${baselineId}` });
  }
  const totals = runTotals(run);
  const base = baseline ? runTotals(baseline) : null;
  const c = comparison.data;
  return (
    <section className="card" aria-label="Comparison with a baseline">
      <div className="row wrap">
        <h2 className="grow">Against a baseline</h2>
        <label className="inline">
          Baseline run
          <select
            aria-label="Baseline run"
            value={baselineId === null ? 'none' : String(baselineId)}
            onChange={(e) => onPick(e.target.value === 'none' ? null : Number(e.target.value))}
          >
            <option value="none">None</option>
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {baselineId === null ? (
        <p className="muted">
          {options.length === 0
            ? 'No other run of this prompt to compare with yet. Start one after your next change.'
            : 'Pick a run to see which cases regressed or were fixed since.'}
        </p>
      ) : comparison.error ? (
        <ProblemView error={comparison.error} onRetry={() => void comparison.refetch()} />
      ) : comparison.isPending || !c ? (
        <Loading label="Comparing…" />
      ) : (
        <>
          <div className="stats" data-testid="eval-comparison">
            <Stat label="Cases compared" value={String(c.overall.compared)} />
            <Stat
              label="Regressions"
              value={String(c.overall.regressions)}
              tone={c.overall.regressions > 0 ? 'bad' : undefined}
            />
            <Stat
              label="Fixes"
              value={String(c.overall.fixes)}
              tone={c.overall.fixes > 0 ? 'good' : undefined}
            />
            <Stat label="New cases" value={String(c.overall.added)} />
            <Stat label="Mean score Δ" value={formatScoreDelta(c.overall.meanScoreDelta)} />
            {base?.passRate != null && totals.passRate !== null ? (
              <Stat label="Pass rate Δ" value={formatPoints(totals.passRate - base.passRate)} />
            ) : null}
          </div>
          {c.groups.length > 0 ? (
            <table className="table" aria-label="Comparison per version and model">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Model</th>
                  <th>Compared</th>
                  <th>Regressions</th>
                  <th>Fixes</th>
                  <th>New</th>
                  <th>Mean score Δ</th>
                </tr>
              </thead>
              <tbody>
                {c.groups.map((g) => (
                  <tr key={`${g.version}-${g.model}`}>
                    <td>{g.version === null ? 'prompt' : `v${g.version}`}</td>
                    <td>{g.model}</td>
                    <td>{g.compared}</td>
                    <td className={g.regressions > 0 ? 'del' : ''}>{g.regressions}</td>
                    <td className={g.fixes > 0 ? 'ins' : ''}>{g.fixes}</td>
                    <td>{g.added}</td>
                    <td>{formatScoreDelta(g.meanScoreDelta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {c.overall.regressions > c.regressions.length ? (
            <p className="muted small">
              The matrix marks the first {c.regressions.length} of {c.overall.regressions} regressions.
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

function runLabel(o: EvalRun, current: EvalRun): string {
  return [
    `#${o.id}`,
    o.versions.map((v) => `v${v}`).join(', '),
    o.dataset ? `${o.dataset.name} r${o.dataset.revision}` : '',
    o.status === 'completed' ? '' : o.status,
    o.id === current.baseline ? 'set at start' : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

function Matrix({
  results,
  show,
  onShow,
  selected,
  onSelect,
  changes,
  baselineId,
}: {
  results: EvalResult[];
  show: 'all' | 'failures' | 'regressions';
  onShow: (s: 'all' | 'failures' | 'regressions') => void;
  selected: EvalResult | null;
  onSelect: (r: EvalResult | null) => void;
  /** Regressions and fixes against the baseline run; null without one. */
  changes: Map<string, CellChange> | null;
  baselineId: number | null;
}) {
  const matrix = useMemo(() => buildMatrix(results), [results]);
  const rows = filterRows(
    matrix,
    show,
    changes ? (cell) => changes.get(cellId(cell))?.kind === 'regression' : undefined,
  );
  const changeOf = (cell: EvalResult) => changes?.get(cellId(cell)) ?? null;
  const selectedChange = selected ? changeOf(selected) : null;
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
          <span className="muted small" data-testid="matrix-count">
            {rows.length} of {matrix.rows.length} cases
            {show === 'regressions'
              ? baselineId !== null
                ? ` · failing now, passing in baseline #${baselineId}`
                : ' · passing in the first column, failing in a later one (pick a baseline run to compare runs)'
              : ''}
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
                  {row.cells.map((cell, i) => {
                    const key = matrix.columns[i]?.key;
                    if (!cell)
                      return (
                        <td key={key} className="cell none">
                          —
                        </td>
                      );
                    const change = changeOf(cell);
                    const moved = change
                      ? change.kind === 'regression'
                        ? `, regression against baseline #${baselineId}`
                        : `, fixed since baseline #${baselineId}`
                      : '';
                    return (
                      <td
                        key={key}
                        className={`cell ${cell.pass ? 'pass' : 'fail'}${change ? ` ${change.kind}` : ''}`}
                      >
                        <button
                          type="button"
                          aria-pressed={selected === cell}
                          aria-label={`Case ${row.caseIndex + 1}, ${key}: ${cell.pass ? 'pass' : 'fail'}${moved}`}
                          onClick={() => onSelect(selected === cell ? null : cell)}
                        >
                          {cell.pass ? '✓' : '✗'}
                          <small> {cell.score.toFixed(2)}</small>
                          {change ? (
                            <span className="change-mark" aria-hidden="true">
                              {change.kind === 'regression' ? ' ↓' : ' ↑'}
                            </span>
                          ) : null}
                        </button>
                      </td>
                    );
                  })}
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
            {selectedChange ? (
              <p className={`notice change-note ${selectedChange.kind}`} data-testid="cell-change">
                {selectedChange.kind === 'regression' ? 'Regression' : 'Fixed'}: baseline #{baselineId}{' '}
                {selectedChange.before.pass ? 'passed' : 'failed'} ({selectedChange.before.score.toFixed(2)})
              </p>
            ) : null}
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
