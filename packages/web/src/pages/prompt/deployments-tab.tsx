import type { Environment, HistoryEntry, Prompt, Release, Variant } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../../api/client.ts';
import { toProblem } from '../../api/problem.ts';
import { requestsApi } from '../../api/requests.ts';
import { Empty, Loading, ProblemView, QueryView } from '../../components/states.tsx';
import { formatAgo, formatTime } from '../../lib/format.ts';
import { describeRelease } from '../../lib/registry-filter.ts';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { useVersions } from './editor-tab.tsx';

function releaseOf(entry: { version: number | null; variants: Variant[]; enabled: boolean }): Release {
  return {
    variants: entry.variants.length
      ? entry.variants
      : entry.version
        ? [{ version: entry.version, weight: 10_000 }]
        : [],
    enabled: entry.enabled,
  };
}

/** Per environment: what is live, deploy a version or weighted variants, roll back, history, and "live at". */
export function DeploymentsTab({ prompt }: { prompt: Prompt }) {
  const environments = useQuery({ queryKey: ['environments'], queryFn: api.listEnvironments });
  const [params, setParams] = useQueryParams();
  return (
    <QueryView query={environments} loadingLabel="Loading environments…">
      {(all) => {
        const envs = all.filter((e) => !e.archived).sort((a, b) => a.rank - b.rank);
        if (envs.length === 0)
          return <Empty title="No environments">Create one with the API or the CLI.</Empty>;
        const current = envs.find((e) => e.name === params.env) ?? envs[envs.length - 1];
        return (
          <div>
            <div className="env-cards" role="tablist" aria-label="Environments">
              {envs.map((e) => {
                const release = prompt.deployments?.[e.name];
                return (
                  <button
                    key={e.name}
                    type="button"
                    role="tab"
                    aria-selected={current?.name === e.name}
                    className={current?.name === e.name ? 'env-card card active' : 'env-card card'}
                    onClick={() => setParams({ env: e.name }, true)}
                  >
                    <span className="env-name">
                      {e.name}
                      {e.protected ? <span className="badge small">protected</span> : null}
                    </span>
                    <span
                      className={release?.enabled ? 'release live' : 'release muted'}
                      data-testid={`live-${e.name}`}
                    >
                      {release ? describeRelease(release) : 'not deployed'}
                    </span>
                  </button>
                );
              })}
            </div>
            {current ? <EnvironmentPanel key={current.name} prompt={prompt} env={current} /> : null}
          </div>
        );
      }}
    </QueryView>
  );
}

function EnvironmentPanel({ prompt, env }: { prompt: Prompt; env: Environment }) {
  const queryClient = useQueryClient();
  const versions = useVersions(prompt.name);
  const history = useQuery({
    queryKey: ['history', prompt.name, env.name],
    queryFn: async () => (await api.history(prompt.name, env.name)).sort((a, b) => b.id - a.id),
  });
  const release = prompt.deployments?.[env.name];
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['prompt', prompt.name] }),
      queryClient.invalidateQueries({ queryKey: ['history', prompt.name, env.name] }),
      queryClient.invalidateQueries({ queryKey: ['prompts'] }),
    ]);
  const [rollbackReason, setRollbackReason] = useState('');
  const rollback = useMutation({
    mutationFn: (to?: number) =>
      api.rollback(prompt.name, env.name, {
        ...(to ? { to } : {}),
        ...(rollbackReason ? { reason: rollbackReason } : {}),
      }),
    onSuccess: async () => {
      setRollbackReason('');
      await refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) =>
      release
        ? api.deploy(prompt.name, env.name, {
            variants: release.variants,
            enabled,
            reason: enabled ? 'Re-enabled' : 'Kill switch',
          })
        : Promise.reject(new Error('Nothing deployed')),
    onSuccess: refresh,
  });

  return (
    <div className="env-panel">
      <section className="card">
        <h2>
          {env.name}:{' '}
          {release ? (
            <span data-testid="live-release">{describeRelease(release)}</span>
          ) : (
            <span className="muted">nothing deployed</span>
          )}
        </h2>
        {release ? (
          <ul className="plain variants">
            {release.variants.map((v) => (
              <li key={v.version}>
                v{v.version} — {(v.weight / 100).toFixed(2).replace(/\.00$/, '')}% of units
              </li>
            ))}
          </ul>
        ) : null}
        {release ? (
          <div className="row">
            <input
              className="grow"
              placeholder="Reason for the rollback (optional)"
              aria-label="Rollback reason"
              value={rollbackReason}
              onChange={(e) => setRollbackReason(e.target.value)}
            />
            <button
              type="button"
              className="danger"
              onClick={() => rollback.mutate(undefined)}
              disabled={rollback.isPending}
            >
              {rollback.isPending ? 'Rolling back…' : 'Roll back'}
            </button>
            <button type="button" onClick={() => toggle.mutate(!release.enabled)} disabled={toggle.isPending}>
              {release.enabled ? 'Disable (kill switch)' : 'Enable'}
            </button>
          </div>
        ) : null}
        {rollback.error ? <ProblemView error={rollback.error} /> : null}
        {toggle.error ? <ProblemView error={toggle.error} /> : null}
      </section>
      <section className="card">
        <h2>Deploy to {env.name}</h2>
        {versions.isPending ? (
          <Loading />
        ) : versions.error ? (
          <ProblemView error={versions.error} />
        ) : versions.data.length === 0 ? (
          <Empty title="No versions to deploy" />
        ) : (
          <DeployForm
            prompt={prompt}
            env={env}
            versions={versions.data.map((v) => v.number)}
            onDone={refresh}
          />
        )}
      </section>
      <section className="card">
        <h2>History</h2>
        <LiveAt prompt={prompt} env={env} />
        {history.isPending ? (
          <Loading />
        ) : history.error ? (
          toProblem(history.error).status === 404 ? (
            <Empty title="Never deployed here" />
          ) : (
            <ProblemView error={history.error} />
          )
        ) : history.data.length === 0 ? (
          <Empty title="Never deployed here" />
        ) : (
          <table className="table" aria-label={`Deployment history of ${env.name}`}>
            <thead>
              <tr>
                <th>#</th>
                <th>Action</th>
                <th>Release</th>
                <th>Who</th>
                <th>When</th>
                <th>Why</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {history.data.map((h, i) => (
                <HistoryRow key={h.id} entry={h} current={i === 0} onRestore={() => rollback.mutate(h.id)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

function HistoryRow({
  entry,
  current,
  onRestore,
}: {
  entry: HistoryEntry;
  current: boolean;
  onRestore: () => void;
}) {
  return (
    <tr>
      <td>{entry.id}</td>
      <td>
        {entry.action}
        {entry.restoredFrom ? ` (to #${entry.restoredFrom})` : ''}
      </td>
      <td>
        {describeRelease(releaseOf(entry))}
        {entry.previous ? (
          <span className="muted"> (was {describeRelease(releaseOf(entry.previous))})</span>
        ) : null}
      </td>
      <td>{entry.actor}</td>
      <td title={entry.at}>{formatTime(entry.at)}</td>
      <td>{entry.reason ?? <span className="muted">—</span>}</td>
      <td>
        {current ? (
          <span className="badge live">live</span>
        ) : (
          <button type="button" className="ghost small" onClick={onRestore}>
            Restore
          </button>
        )}
      </td>
    </tr>
  );
}

function DeployForm({
  prompt,
  env,
  versions,
  onDone,
}: {
  prompt: Prompt;
  env: Environment;
  versions: number[];
  onDone: () => Promise<unknown>;
}) {
  const [mode, setMode] = useState<'single' | 'variants'>('single');
  const [version, setVersion] = useState(versions[0] ?? 1);
  const [rows, setRows] = useState<{ version: number; percent: string }[]>(() => [
    { version: versions[1] ?? versions[0] ?? 1, percent: '90' },
    { version: versions[0] ?? 1, percent: '10' },
  ]);
  const [reason, setReason] = useState('');
  const weights = rows.map((r) => Math.round(Number(r.percent) * 100));
  const sum = weights.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const deploy = useMutation({
    mutationFn: () =>
      api.deploy(
        prompt.name,
        env.name,
        mode === 'single'
          ? { version, ...(reason ? { reason } : {}) }
          : {
              variants: rows.map((r, i) => ({ version: r.version, weight: weights[i] ?? 0 })),
              ...(reason ? { reason } : {}),
            },
      ),
    onSuccess: async () => {
      setReason('');
      await onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    deploy.mutate();
  };
  const body = () =>
    mode === 'single'
      ? { version }
      : { variants: rows.map((r, i) => ({ version: r.version, weight: weights[i] ?? 0 })) };
  const [, navigate] = useLocation();
  const openRequest = useMutation({
    mutationFn: () => requestsApi.create(prompt.name, env.name, { ...body(), reason }),
    onSuccess: (created) => navigate(`/requests/${created.id}`),
  });
  const needsApproval = (env.policy.requiredApprovals ?? 0) > 0;
  const refusedForApproval = deploy.error ? toProblem(deploy.error).code === 'APPROVAL_REQUIRED' : false;
  const versionSelect = (value: number, onChange: (n: number) => void, label: string) => (
    <select aria-label={label} value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {versions.map((n) => (
        <option key={n} value={n}>
          v{n}
        </option>
      ))}
    </select>
  );
  return (
    <form className="form" onSubmit={submit}>
      <fieldset className="segmented" aria-label="Release kind">
        <legend className="sr-only">Release kind</legend>
        <label className={mode === 'single' ? 'active' : ''}>
          <input
            type="radio"
            name={`mode-${env.name}`}
            checked={mode === 'single'}
            onChange={() => setMode('single')}
          />
          One version
        </label>
        <label className={mode === 'variants' ? 'active' : ''}>
          <input
            type="radio"
            name={`mode-${env.name}`}
            checked={mode === 'variants'}
            onChange={() => setMode('variants')}
          />
          Weighted variants
        </label>
      </fieldset>
      {mode === 'single' ? (
        <span className="inline-label">
          Version {versionSelect(version, setVersion, 'Version to deploy')}
        </span>
      ) : (
        <div>
          {rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the editor
            <div className="row" key={i}>
              {versionSelect(
                r.version,
                (n) => setRows(rows.map((x, j) => (j === i ? { ...x, version: n } : x))),
                `Variant ${i + 1} version`,
              )}
              <input
                type="number"
                min="0"
                max="100"
                step="0.01"
                aria-label={`Variant ${i + 1} weight in percent`}
                value={r.percent}
                onChange={(e) =>
                  setRows(rows.map((x, j) => (j === i ? { ...x, percent: e.target.value } : x)))
                }
              />
              %
              <button
                type="button"
                className="ghost"
                aria-label={`Remove variant ${i + 1}`}
                disabled={rows.length <= 1}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            </div>
          ))}
          <div className="row">
            <button
              type="button"
              onClick={() => setRows([...rows, { version: versions[0] ?? 1, percent: '0' }])}
            >
              + Variant
            </button>
            <span className={sum === 10_000 ? 'muted' : 'error-text'}>
              Total {(sum / 100).toFixed(2)}% (must be 100%)
            </span>
          </div>
        </div>
      )}
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why this release" />
      </label>
      <div className="row end">
        <button
          type="submit"
          className="primary"
          disabled={deploy.isPending || (mode === 'variants' && sum !== 10_000)}
        >
          {deploy.isPending ? 'Deploying…' : `Deploy to ${env.name}`}
        </button>
      </div>
      <p className="muted" data-testid="policy-summary">
        {policyText(env)}
      </p>
      {needsApproval || refusedForApproval ? (
        <div className="row end">
          <span className="grow muted">
            {env.name} needs {env.policy.requiredApprovals ?? 1} approval(s): open a request that deploys once
            approved.
          </span>
          <button
            type="button"
            onClick={() => openRequest.mutate()}
            disabled={
              openRequest.isPending || reason.trim() === '' || (mode === 'variants' && sum !== 10_000)
            }
            title={reason.trim() === '' ? 'A request needs a reason' : undefined}
          >
            {openRequest.isPending ? 'Opening…' : 'Request deployment'}
          </button>
        </div>
      ) : null}
      {deploy.error && !refusedForApproval ? <ProblemView error={deploy.error} /> : null}
      {openRequest.error ? <ProblemView error={openRequest.error} /> : null}
    </form>
  );
}

function LiveAt({ prompt, env }: { prompt: Prompt; env: Environment }) {
  const [at, setAt] = useState('');
  const [asked, setAsked] = useState<string | null>(null);
  const result = useQuery({
    queryKey: ['live-at', prompt.name, env.name, asked],
    queryFn: () => api.liveAt(prompt.name, env.name, asked ?? ''),
    enabled: asked !== null,
  });
  return (
    <form
      className="row live-at"
      onSubmit={(e) => {
        e.preventDefault();
        const d = new Date(at);
        if (!Number.isNaN(d.getTime())) setAsked(d.toISOString());
      }}
    >
      <label className="inline">
        What was live at
        <input
          type="datetime-local"
          step="1"
          value={at}
          onChange={(e) => setAt(e.target.value)}
          aria-label="Point in time"
        />
      </label>
      <button type="submit" disabled={!at}>
        Ask
      </button>
      {asked ? (
        result.isPending ? (
          <span className="muted">…</span>
        ) : result.error ? (
          toProblem(result.error).status === 404 ? (
            <span className="muted">
              Nothing was live in {env.name} at {formatTime(asked)}.
            </span>
          ) : (
            <ProblemView error={result.error} />
          )
        ) : result.data ? (
          <span data-testid="live-at-answer">
            {describeRelease(releaseOf(result.data))} (entry #{result.data.id}, {result.data.actor},{' '}
            {formatAgo(result.data.at)})
          </span>
        ) : (
          <span className="muted">
            Nothing was live in {env.name} at {formatTime(asked)}.
          </span>
        )
      ) : null}
    </form>
  );
}

/** The environment's policy in one sentence, so a deploy that will be refused says why beforehand. */
function policyText(env: Environment): string {
  const p = env.policy;
  const parts: string[] = [];
  if ((p.requiredApprovals ?? 0) > 0)
    parts.push(`${p.requiredApprovals} approval(s)${p.noSelfApproval === false ? '' : ' by someone else'}`);
  if (p.requireEvalPass) parts.push('a passing eval run on the gate dataset');
  if (p.deployRoles) parts.push(`deploys by ${p.deployRoles.join(' or ')}`);
  if ((p.freeze ?? []).length > 0) parts.push('freeze windows');
  return parts.length === 0
    ? `Policy of ${env.name}: none; editors and admins deploy directly.`
    : `Policy of ${env.name}: ${parts.join(', ')}.`;
}
