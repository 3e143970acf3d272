/**
 * The Red team tab of a prompt page (loaded on first use): the prompt's red-team runs with their
 * verdicts, a form that starts one (version, plugins, strategies, fail-on), and a run's page with
 * live progress and its findings grouped by severity and OWASP category. URL: `?tab=redteam[&run=<id>]`.
 */
import type { Prompt, RedteamFindingRow, RedteamRunRecord } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { redteamApi } from '../../api/redteam.ts';
import { Empty, Loading, ProblemView, QueryView } from '../../components/states.tsx';
import { formatTime, formatUsd } from '../../lib/format.ts';
import { useQueryParams } from '../../lib/use-query-params.ts';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
type Severity = (typeof SEVERITIES)[number];
const running = (status: string) => status === 'queued' || status === 'running';

function Verdict({ run }: { run: Pick<RedteamRunRecord, 'status' | 'passed'> }) {
  if (run.passed === true) return <span className="badge pass">passed</span>;
  if (run.passed === false) return <span className="badge fail">failed</span>;
  return <span className={`badge status-${run.status}`}>{run.status}</span>;
}

function Counts({ bySeverity }: { bySeverity: Record<Severity, number> }) {
  return (
    <span className="redteam-counts">
      {SEVERITIES.map((s) => (
        <span key={s} className={`sev sev-${s}`} title={s}>
          {s[0]?.toUpperCase()} {bySeverity[s]}
        </span>
      ))}
    </span>
  );
}

export default function RedteamTab({ prompt }: { prompt: Prompt }) {
  const [params, setParams] = useQueryParams();
  const runId = Number(params.run);
  if (Number.isInteger(runId) && runId > 0) {
    return (
      <div className="stack">
        <p>
          <button type="button" className="ghost small" onClick={() => setParams({ run: null })}>
            ← All red-team runs
          </button>
        </p>
        <RunView id={runId} />
      </div>
    );
  }
  return <RunList prompt={prompt} onOpen={(id) => setParams({ run: String(id) })} />;
}

function RunList({ prompt, onOpen }: { prompt: Prompt; onOpen(id: number): void }) {
  const runs = useQuery({
    queryKey: ['redteam-runs', prompt.name],
    queryFn: () => redteamApi.list(prompt.name),
    refetchInterval: (q) => (q.state.data?.some((r) => running(r.status)) ? 1000 : false),
  });
  return (
    <div className="stack">
      <StartForm prompt={prompt} onStarted={onOpen} />
      <QueryView query={runs} loadingLabel="Loading red-team runs…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No red-team runs yet">
              Start one above, or upload a CLI run with <code>promptline redteam {prompt.name} --upload</code>
              .
            </Empty>
          ) : (
            <table className="table" aria-label="Red-team runs">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Version</th>
                  <th>Verdict</th>
                  <th>Findings (C H M L)</th>
                  <th>Fail on</th>
                  <th>Model</th>
                  <th>Source</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id} data-testid={`redteam-run-${r.id}`}>
                    <td>
                      <button type="button" className="ghost small" onClick={() => onOpen(r.id)}>
                        #{r.id}
                      </button>
                    </td>
                    <td>v{r.version}</td>
                    <td>
                      <Verdict run={r} />
                      {running(r.status) ? ` ${r.progress.done}/${r.progress.total}` : ''}
                    </td>
                    <td>
                      <Counts bySeverity={r.bySeverity} />
                    </td>
                    <td>{r.failOn}</td>
                    <td className="mono">{r.provider}</td>
                    <td>{r.source}</td>
                    <td>{formatTime(r.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </div>
  );
}

function StartForm({ prompt, onStarted }: { prompt: Prompt; onStarted(id: number): void }) {
  const client = useQueryClient();
  const catalog = useQuery({
    queryKey: ['redteam-catalog'],
    queryFn: redteamApi.catalog,
    staleTime: Infinity,
  });
  const [version, setVersion] = useState(prompt.latestVersion ?? 1);
  const [failOn, setFailOn] = useState<Severity>('high');
  const [provider, setProvider] = useState('');
  const [plugins, setPlugins] = useState<Set<string>>(new Set());
  const [strategies, setStrategies] = useState<Set<string> | null>(null);
  const start = useMutation({
    mutationFn: () =>
      redteamApi.start(prompt.name, {
        version,
        failOn,
        ...(provider.trim() ? { provider: provider.trim() } : {}),
        ...(plugins.size > 0 ? { plugins: [...plugins] } : {}),
        ...(strategies ? { strategies: strategies.size > 0 ? [...strategies] : ['none'] } : {}),
      }),
    onSuccess: (run) => {
      void client.invalidateQueries({ queryKey: ['redteam-runs', prompt.name] });
      onStarted(run.id);
    },
  });
  const latest = prompt.latestVersion;
  if (latest === null) return <p className="muted">Save a version before red-teaming it.</p>;
  const defaults = new Set(catalog.data?.strategies.filter((s) => s.default).map((s) => s.id) ?? []);
  const chosenStrategies = strategies ?? defaults;
  const toggle = (set: Set<string>, id: string) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  };
  return (
    <form
      className="card stack redteam-start"
      aria-label="Start a red-team run"
      onSubmit={(e) => {
        e.preventDefault();
        start.mutate();
      }}
    >
      <div className="toolbar">
        <label className="inline-label">
          Version{' '}
          <select aria-label="Version" value={version} onChange={(e) => setVersion(Number(e.target.value))}>
            {Array.from({ length: latest }, (_, i) => latest - i).map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-label">
          Fail on{' '}
          <select aria-label="Fail on" value={failOn} onChange={(e) => setFailOn(e.target.value as Severity)}>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s} and above
              </option>
            ))}
          </select>
        </label>
        <label className="inline-label">
          Provider{' '}
          <input
            aria-label="Provider"
            placeholder="the version's, else mock"
            value={provider}
            onChange={(e) => setProvider(e.target.value)}
          />
        </label>
        <span className="grow" />
        <button type="submit" className="primary" disabled={start.isPending}>
          Start red-team run
        </button>
      </div>
      {catalog.data ? (
        <div className="redteam-pickers">
          <details>
            <summary>Plugins ({plugins.size === 0 ? 'all that apply' : `${plugins.size} chosen`})</summary>
            <fieldset aria-label="Plugins">
              {catalog.data.plugins.map((p) => (
                <label key={p.id} className="inline" title={p.title}>
                  <input
                    type="checkbox"
                    aria-label={`Plugin ${p.id}`}
                    checked={plugins.has(p.id)}
                    onChange={() => setPlugins((s) => toggle(s, p.id))}
                  />
                  {p.id} <span className="muted small">{p.owasp}</span>
                </label>
              ))}
            </fieldset>
          </details>
          <details>
            <summary>
              Strategies (
              {chosenStrategies.size === 0 ? 'attacks as written' : `${chosenStrategies.size} chosen`})
            </summary>
            <fieldset aria-label="Strategies">
              {catalog.data.strategies.map((s) => (
                <label key={s.id} className="inline" title={s.title}>
                  <input
                    type="checkbox"
                    aria-label={`Strategy ${s.id}`}
                    checked={chosenStrategies.has(s.id)}
                    onChange={() => setStrategies(toggle(chosenStrategies, s.id))}
                  />
                  {s.id}
                </label>
              ))}
            </fieldset>
          </details>
        </div>
      ) : null}
      {start.error ? <ProblemView error={start.error} /> : null}
    </form>
  );
}

/** Findings by severity (most severe first), then by OWASP category. */
function group(findings: readonly RedteamFindingRow[]) {
  return SEVERITIES.map((severity) => {
    const bySeverity = findings.filter((f) => f.severity === severity);
    const owasp = new Map<string, RedteamFindingRow[]>();
    for (const f of bySeverity)
      owasp.set(`${f.owasp.id} ${f.owasp.title}`, [
        ...(owasp.get(`${f.owasp.id} ${f.owasp.title}`) ?? []),
        f,
      ]);
    return {
      severity,
      count: bySeverity.length,
      categories: [...owasp.entries()].sort(([a], [b]) => a.localeCompare(b)),
    };
  }).filter((g) => g.count > 0);
}

function RunView({ id }: { id: number }) {
  const client = useQueryClient();
  const run = useQuery({
    queryKey: ['redteam-run', id],
    queryFn: () => redteamApi.get(id),
    refetchInterval: (q) => (q.state.data && running(q.state.data.status) ? 500 : false),
  });
  const finished = run.data !== undefined && !running(run.data.status);
  const findings = useQuery({
    queryKey: ['redteam-findings', id],
    queryFn: () => redteamApi.findings(id),
    enabled: finished,
  });
  const cancel = useMutation({
    mutationFn: () => redteamApi.cancel(id),
    onSettled: () => client.invalidateQueries({ queryKey: ['redteam-run', id] }),
  });
  const download = useMutation({
    mutationFn: (format: 'json' | 'junit' | 'markdown' | 'html') => redteamApi.download(id, format),
  });
  return (
    <QueryView query={run} loadingLabel="Loading red-team run…">
      {(r) => (
        <div className="stack">
          <header className="card summary" data-testid="redteam-run">
            <h2>
              Red-team run #{r.id} of v{r.version} <Verdict run={r} />
            </h2>
            <p className="muted">
              {r.provider} · {r.source === 'upload' ? 'uploaded CLI run' : 'server run'} · fail on {r.failOn}{' '}
              and above · {formatUsd(r.costUsd)} · started {formatTime(r.startedAt ?? r.createdAt)}
            </p>
            {running(r.status) ? (
              <p className="redteam-progress">
                <progress
                  aria-label="Probes done"
                  value={r.progress.done}
                  max={Math.max(1, r.progress.total)}
                />{' '}
                <span data-testid="redteam-progress">
                  {r.progress.done} / {r.progress.total} probes · {r.progress.findings} findings so far
                </span>{' '}
                <button
                  type="button"
                  className="small"
                  disabled={cancel.isPending}
                  onClick={() => cancel.mutate()}
                >
                  Cancel
                </button>
              </p>
            ) : (
              <p>
                {r.progress.done} / {r.progress.total} probes, {r.progress.findings} findings,{' '}
                {r.progress.errors} errors <Counts bySeverity={r.bySeverity} />
              </p>
            )}
            {r.worst ? (
              <p>
                Worst: <strong>{r.worst.severity}</strong> {r.worst.plugin} ({r.worst.owasp}):{' '}
                {r.worst.evidence}
              </p>
            ) : null}
            {r.error ? <p className="error">{r.error}</p> : null}
            {finished ? (
              <p className="toolbar">
                Report:{' '}
                {(['html', 'markdown', 'junit', 'json'] as const).map((f) => (
                  <button key={f} type="button" className="small" onClick={() => download.mutate(f)}>
                    {{ html: 'HTML', markdown: 'Markdown', junit: 'JUnit', json: 'JSON' }[f]}
                  </button>
                ))}
              </p>
            ) : null}
            {cancel.error ? <ProblemView error={cancel.error} /> : null}
            {download.error ? <ProblemView error={download.error} /> : null}
          </header>
          {r.errors.length > 0 ? (
            <details className="card">
              <summary>{r.errors.length} probes could not be sent</summary>
              <ul>
                {r.errors.slice(0, 50).map((e) => (
                  <li key={e.probe}>
                    <code>{e.probe}</code>: {e.message}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
          {!finished ? null : findings.error ? (
            <ProblemView error={findings.error} />
          ) : !findings.data ? (
            <Loading label="Loading findings…" />
          ) : findings.data.items.length === 0 ? (
            <Empty title="No findings">Every probe was answered safely.</Empty>
          ) : (
            group(findings.data.items).map((g) => (
              <section
                key={g.severity}
                className="card redteam-severity"
                aria-label={`${g.severity} findings`}
              >
                <h3 className={`sev-${g.severity}`}>
                  {g.severity[0]?.toUpperCase()}
                  {g.severity.slice(1)} ({g.count})
                </h3>
                {g.categories.map(([category, list]) => (
                  <div key={category}>
                    <h4>
                      {category} ({list.length})
                    </h4>
                    {list.map((f) => (
                      <details key={f.id} className="redteam-finding">
                        <summary>
                          <strong>{f.plugin}</strong> · {f.strategy} · {f.evidence}
                        </summary>
                        <h5>Attack</h5>
                        <pre>{f.turns.join('\n\n— next turn —\n\n')}</pre>
                        <h5>Output</h5>
                        <pre>{f.output}</pre>
                        <h5>Mitigation</h5>
                        <p>{f.mitigation}</p>
                      </details>
                    ))}
                  </div>
                ))}
              </section>
            ))
          )}
        </div>
      )}
    </QueryView>
  );
}
