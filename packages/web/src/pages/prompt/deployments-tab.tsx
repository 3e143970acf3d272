import type { Environment, HistoryEntry, Prompt, Release, Variant } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client.ts';
import { toProblem } from '../../api/problem.ts';
import { Empty, Loading, ProblemView, QueryView } from '../../components/states.tsx';
import { formatAgo, formatTime } from '../../lib/format.ts';
import { describeRelease } from '../../lib/registry-filter.ts';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { DeployForm } from './deploy-form.tsx';
import { useVersions } from './editor-tab.tsx';
import { EnvironmentRollouts } from './environment-rollouts.tsx';

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
      <EnvironmentRollouts prompt={prompt} env={env} />
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
