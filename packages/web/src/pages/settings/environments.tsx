import type { Environment, UpdateEnvironmentRequest } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { environmentsApi } from '../../api/admin.ts';
import { FormDialog } from '../../components/dialog.tsx';
import { CreateForm, ItemTable } from '../../components/sections.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';

/**
 * New ranks after moving `name` one place up or down the promotion order: 10, 20, 30… in the new
 * order, only for the environments whose rank changes (so equal or sparse ranks sort out too).
 */
export function reorderRanks(envs: readonly Environment[], name: string, delta: -1 | 1): Map<string, number> {
  const order = [...envs].sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  const i = order.findIndex((e) => e.name === name);
  const j = i + delta;
  const changes = new Map<string, number>();
  if (i < 0 || j < 0 || j >= order.length) return changes;
  const moved = [...order];
  [moved[i], moved[j]] = [moved[j] as Environment, moved[i] as Environment];
  moved.forEach((e, k) => {
    if (e.rank !== (k + 1) * 10) changes.set(e.name, (k + 1) * 10);
  });
  return changes;
}

/** Environments in promotion order: create, rename, reorder, protect, archive. URL: `/settings/environments`. */
export function EnvironmentsPage() {
  const queryClient = useQueryClient();
  const envs = useQuery({ queryKey: ['environments'], queryFn: environmentsApi.list });
  const [renaming, setRenaming] = useState<Environment | null>(null);
  const done = () => queryClient.invalidateQueries({ queryKey: ['environments'] });
  const update = useMutation({
    mutationFn: ({ name, patch }: { name: string; patch: UpdateEnvironmentRequest }) =>
      environmentsApi.update(name, patch),
    onSettled: done,
  });
  const move = useMutation({
    mutationFn: async ({ name, delta }: { name: string; delta: -1 | 1 }) => {
      for (const [env, rank] of reorderRanks(envs.data ?? [], name, delta)) {
        await environmentsApi.update(env, { rank });
      }
    },
    onSettled: done,
  });
  return (
    <div className="stack">
      <CreateEnvironment />
      {update.error ? <ProblemView error={update.error} /> : null}
      {move.error ? <ProblemView error={move.error} /> : null}
      <QueryView query={envs} loadingLabel="Loading environments…">
        {(items) => {
          const sorted = [...items].sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
          return sorted.length === 0 ? (
            <Empty title="No environments">Create one above.</Empty>
          ) : (
            <ItemTable
              label="Environments"
              columns={['Order', 'Name', 'Rank', 'Protected', 'Red-team gate', 'Status']}
            >
              {sorted.map((e, i) => (
                <tr key={e.name} className={e.archived ? 'muted' : ''} data-testid={`env-${e.name}`}>
                  <td className="nowrap">
                    <button
                      type="button"
                      className="ghost small"
                      aria-label={`Move ${e.name} earlier`}
                      disabled={i === 0 || move.isPending}
                      onClick={() => move.mutate({ name: e.name, delta: -1 })}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="ghost small"
                      aria-label={`Move ${e.name} later`}
                      disabled={i === sorted.length - 1 || move.isPending}
                      onClick={() => move.mutate({ name: e.name, delta: 1 })}
                    >
                      ↓
                    </button>
                  </td>
                  <td>
                    <strong>{e.name}</strong>
                    {e.description ? <div className="muted small">{e.description}</div> : null}
                  </td>
                  <td className="mono">{e.rank}</td>
                  <td>
                    <label className="inline">
                      <input
                        type="checkbox"
                        checked={e.protected}
                        aria-label={`${e.name} is protected`}
                        disabled={update.isPending}
                        onChange={(ev) =>
                          update.mutate({ name: e.name, patch: { protected: ev.target.checked } })
                        }
                      />
                      {e.protected ? 'protected' : 'no'}
                    </label>
                  </td>
                  <td>
                    <select
                      aria-label={`${e.name} red-team gate`}
                      value={e.policy.requireRedteamPass?.failOn ?? ''}
                      disabled={update.isPending}
                      onChange={(ev) => {
                        const { requireRedteamPass: _old, ...rest } = e.policy;
                        const failOn = ev.target.value as 'low' | 'medium' | 'high' | 'critical' | '';
                        update.mutate({
                          name: e.name,
                          patch: {
                            policy:
                              failOn === ''
                                ? rest
                                : {
                                    ...rest,
                                    requireRedteamPass: { ...e.policy.requireRedteamPass, failOn },
                                  },
                          },
                        });
                      }}
                    >
                      <option value="">off</option>
                      <option value="critical">pass at critical</option>
                      <option value="high">pass at high</option>
                      <option value="medium">pass at medium</option>
                      <option value="low">pass at low</option>
                    </select>
                    {e.policy.requireRedteamPass ? (
                      <input
                        key={(e.policy.requireRedteamPass.plugins ?? []).join(',')}
                        className="small"
                        aria-label={`${e.name} red-team plugins`}
                        placeholder="plugins the run must cover (any)"
                        title="Comma-separated plugin ids (or harmful) the latest run must have attacked with; empty: any run"
                        defaultValue={(e.policy.requireRedteamPass.plugins ?? []).join(', ')}
                        disabled={update.isPending}
                        onKeyDown={(ev) => {
                          if (ev.key === 'Enter') ev.currentTarget.blur();
                        }}
                        onBlur={(ev) => {
                          const gate = e.policy.requireRedteamPass;
                          if (!gate) return;
                          const plugins = ev.target.value
                            .split(',')
                            .map((id) => id.trim())
                            .filter((id) => id !== '');
                          if (plugins.join(',') === (gate.plugins ?? []).join(',')) return;
                          const { plugins: _old, ...kept } = gate;
                          update.mutate({
                            name: e.name,
                            patch: {
                              policy: {
                                ...e.policy,
                                requireRedteamPass: plugins.length === 0 ? kept : { ...kept, plugins },
                              },
                            },
                          });
                        }}
                      />
                    ) : null}
                  </td>
                  <td>
                    {e.archived ? (
                      <span className="badge">archived</span>
                    ) : (
                      <span className="badge pass">active</span>
                    )}
                  </td>
                  <td className="right nowrap">
                    <button type="button" className="small" onClick={() => setRenaming(e)}>
                      Rename…
                    </button>{' '}
                    <button
                      type="button"
                      className="small"
                      disabled={update.isPending}
                      onClick={() => update.mutate({ name: e.name, patch: { archived: !e.archived } })}
                    >
                      {e.archived ? 'Unarchive' : 'Archive'}
                    </button>
                  </td>
                </tr>
              ))}
            </ItemTable>
          );
        }}
      </QueryView>
      <p className="muted small">
        The order is the promotion path (development → staging → production by default). An archived
        environment keeps its history but takes no new deployments. With a red-team gate, a version deploys
        there only when its latest red-team run has no finding at or above that severity.
      </p>
      {renaming ? <RenameEnvironment env={renaming} onClose={() => setRenaming(null)} /> : null}
    </div>
  );
}

function CreateEnvironment() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isProtected, setProtected] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      environmentsApi.create({
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        protected: isProtected,
      }),
    onSuccess: async () => {
      setName('');
      setDescription('');
      setProtected(false);
      await queryClient.invalidateQueries({ queryKey: ['environments'] });
    },
  });
  return (
    <CreateForm
      title="Create an environment"
      submitLabel="Create environment"
      pending={create.isPending}
      disabled={!name.trim()}
      error={create.error}
      note="It goes last in the order; move it with ↑ ↓."
      onSubmit={() => create.mutate()}
    >
      <div className="row wrap">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. canary" required />
        </label>
        <label className="grow">
          Description
          <input
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="e.g. 5 % of production traffic"
          />
        </label>
        <label className="inline">
          <input type="checkbox" checked={isProtected} onChange={(e) => setProtected(e.target.checked)} />
          Protected
        </label>
      </div>
    </CreateForm>
  );
}

function RenameEnvironment({ env, onClose }: { env: Environment; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(env.name);
  const [description, setDescription] = useState(env.description);
  const save = useMutation({
    mutationFn: () =>
      environmentsApi.update(env.name, {
        ...(name.trim() !== env.name ? { name: name.trim() } : {}),
        ...(description !== env.description ? { description } : {}),
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['environments'] });
      onClose();
    },
  });
  return (
    <FormDialog
      title={`Rename ${env.name}`}
      pending={save.isPending}
      disabled={!name.trim()}
      error={save.error}
      onSubmit={() => save.mutate()}
      onClose={onClose}
    >
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <p className="muted small">
        Deployments and history move with it; SDKs and links that name “{env.name}” must be updated.
      </p>
    </FormDialog>
  );
}
