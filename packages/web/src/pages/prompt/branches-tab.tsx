import type { Prompt } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { branchesApi } from '../../api/branches.ts';
import { Loading, ProblemView } from '../../components/states.tsx';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { MergePanel } from './merge-panel.tsx';
import { VersionGraphView } from './version-graph.tsx';

/** Branches of a prompt: the picker, a new-branch form, the comparison with main, the graph and the merge. */
export function BranchesTab({ prompt }: { prompt: Prompt }) {
  const client = useQueryClient();
  const [params, setParams] = useQueryParams();
  const branches = useQuery({
    queryKey: ['branches', prompt.name],
    queryFn: () => branchesApi.list(prompt.name),
  });
  const graph = useQuery({ queryKey: ['graph', prompt.name], queryFn: () => branchesApi.graph(prompt.name) });
  const selected = typeof params.branch === 'string' ? params.branch : undefined;
  const compare = useQuery({
    queryKey: ['compare', prompt.name, selected],
    queryFn: () => branchesApi.compare(prompt.name, selected ?? ''),
    enabled: selected !== undefined,
  });
  const [newName, setNewName] = useState('');
  const create = useMutation({
    mutationFn: () => branchesApi.create(prompt.name, { name: newName }),
    onSuccess: (b) => {
      setNewName('');
      void client.invalidateQueries();
      setParams({ branch: b.name });
    },
  });
  if (branches.error) return <ProblemView error={branches.error} onRetry={() => void branches.refetch()} />;
  if (branches.isPending) return <Loading label="Loading branches…" />;
  return (
    <div className="branches-tab">
      <div className="toolbar">
        <label className="inline-label">
          Branch{' '}
          <select
            aria-label="Branch"
            value={selected ?? ''}
            onChange={(e) => setParams({ branch: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">main</option>
            {branches.data.map((b) => (
              <option key={b.name} value={b.name}>
                {b.name} (v{b.head})
              </option>
            ))}
          </select>
        </label>
        <span className="grow" />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <input
            aria-label="New branch name"
            placeholder="experiment/shorter"
            value={newName}
            onChange={(e) => setNewName(e.target.value)}
          />
          <button type="submit" disabled={newName === '' || create.isPending}>
            New branch from main
          </button>
        </form>
      </div>
      {create.error ? <ProblemView error={create.error} /> : null}
      {selected && compare.data ? (
        <p className="muted" data-testid="branch-compare">
          {selected}: {compare.data.ahead} version(s) ahead of main, {compare.data.behind} behind (base v
          {compare.data.base ?? '–'})
        </p>
      ) : null}
      {graph.data ? <VersionGraphView graph={graph.data} /> : null}
      {selected && compare.data && compare.data.ahead > 0 ? (
        <MergePanel key={selected} name={prompt.name} branch={selected} />
      ) : null}
    </div>
  );
}
