import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { datasetsApi } from '../api/admin.ts';
import { Empty, ProblemView, QueryView } from '../components/states.tsx';
import { formatAgo } from '../lib/format.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

/** `/datasets/<name>`: names keep their `/` (one path segment each), like prompt pages. */
export function datasetHref(name: string, query = ''): string {
  return `/datasets/${name.split('/').map(encodeURIComponent).join('/')}${query}`;
}

/** Every dataset of the project, and a form to create one. URL: `/datasets?q=`. */
export default function DatasetsPage() {
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: datasetsApi.list });
  const [params, setParams] = useQueryParams();
  const q = (params.q ?? '').toLowerCase();
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Datasets</h1>
        <input
          type="search"
          aria-label="Filter datasets"
          placeholder="Filter by name"
          defaultValue={params.q ?? ''}
          onChange={(e) => setParams({ q: e.target.value }, true)}
        />
      </div>
      <CreateDataset />
      <QueryView query={datasets} loadingLabel="Loading datasets…">
        {(items) => {
          const visible = items.filter((d) => !q || `${d.name} ${d.description}`.toLowerCase().includes(q));
          if (items.length === 0)
            return (
              <Empty title="No datasets yet">
                A dataset is a list of cases (variables and what to expect) that eval runs test prompts on.
                Create one above, then add items or import a CSV or JSONL file.
              </Empty>
            );
          if (visible.length === 0) return <Empty title="No dataset matches the filter" />;
          return (
            <table className="table" aria-label="Datasets">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Items</th>
                  <th>Revision</th>
                  <th>Changed</th>
                  <th>Created by</th>
                </tr>
              </thead>
              <tbody>
                {visible.map((d) => (
                  <tr key={d.name}>
                    <td>
                      <Link href={datasetHref(d.name)}>{d.name}</Link>
                      {d.description ? <div className="muted small">{d.description}</div> : null}
                    </td>
                    <td>{d.itemCount}</td>
                    <td>{d.revision}</td>
                    <td title={d.updatedAt}>{formatAgo(d.updatedAt)}</td>
                    <td>{d.createdBy}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </QueryView>
    </div>
  );
}

function CreateDataset() {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () =>
      datasetsApi.create({
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
      }),
    onSuccess: async (d) => {
      await queryClient.invalidateQueries({ queryKey: ['datasets'] });
      navigate(datasetHref(d.name));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Create a dataset">
      <div className="row wrap">
        <label>
          Name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. support/triage-cases"
            required
          />
        </label>
        <label className="grow">
          Description
          <input
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="e.g. tickets labelled by the support team"
          />
        </label>
        <button type="submit" className="primary align-end" disabled={create.isPending || !name.trim()}>
          {create.isPending ? 'Creating…' : 'Create dataset'}
        </button>
      </div>
      {create.error ? <ProblemView error={create.error} /> : null}
    </form>
  );
}
