import type { Dataset, DatasetItem } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { datasetsApi, type ImportFormat } from '../api/admin.ts';
import { ConfirmDialog } from '../components/dialog.tsx';
import { Empty, Loading, ProblemView, QueryView } from '../components/states.tsx';
import { formatAgo } from '../lib/format.ts';
import { useQueryParams } from '../lib/use-query-params.ts';
import { ImportDialog, ItemDialog } from './dataset-dialogs.tsx';

/** Compact one-line JSON for a table cell. */
export function jsonCell(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * One dataset: its items at the current revision (editable) or an older one (`?revision=N`,
 * read-only), add/edit/delete, import with a preview, export. URL: `/datasets/<name>?revision=`.
 */
export default function DatasetPage({ name }: { name: string }) {
  const dataset = useQuery({ queryKey: ['dataset', name], queryFn: () => datasetsApi.get(name) });
  return (
    <div className="stack">
      <p className="crumbs">
        <Link href="/datasets">Datasets</Link>
      </p>
      <QueryView query={dataset} loadingLabel="Loading dataset…">
        {(d) => <DatasetView dataset={d} />}
      </QueryView>
    </div>
  );
}

type Dialog =
  | { kind: 'add' }
  | { kind: 'edit'; item: DatasetItem }
  | { kind: 'delete-item'; item: DatasetItem }
  | { kind: 'import' }
  | { kind: 'delete-dataset' };

function DatasetView({ dataset }: { dataset: Dataset }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [params, setParams] = useQueryParams();
  const wanted = params.revision ? Number(params.revision) : null;
  const revision = wanted && wanted > 0 && wanted < dataset.revision ? wanted : dataset.revision;
  const current = revision === dataset.revision;
  const items = useQuery({
    queryKey: ['dataset-items', dataset.name, revision],
    queryFn: () => datasetsApi.items(dataset.name, revision),
  });
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = () => setDialog(null);
  const changed = async () => {
    await queryClient.invalidateQueries({ queryKey: ['dataset', dataset.name] });
    await queryClient.invalidateQueries({ queryKey: ['dataset-items', dataset.name] });
    await queryClient.invalidateQueries({ queryKey: ['datasets'] });
  };
  const removeItem = useMutation({
    mutationFn: (id: number) => datasetsApi.removeItem(dataset.name, id),
    onSuccess: async () => {
      await changed();
      close();
    },
  });
  const removeDataset = useMutation({
    mutationFn: () => datasetsApi.remove(dataset.name),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['datasets'] });
      queryClient.removeQueries({ queryKey: ['dataset', dataset.name] });
      navigate('/datasets');
    },
  });
  const exporting = useMutation({
    mutationFn: async (format: ImportFormat) => {
      const { blob, filename } = await datasetsApi.export(dataset.name, format);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  });

  return (
    <>
      <header className="prompt-head">
        <div>
          <h1>{dataset.name}</h1>
          <p className="muted">
            {dataset.description || 'No description'} · {dataset.itemCount} items · revision{' '}
            {dataset.revision} · changed {formatAgo(dataset.updatedAt)} · created by {dataset.createdBy}
          </p>
        </div>
        <div className="row wrap">
          <button type="button" onClick={() => exporting.mutate('jsonl')} disabled={dataset.revision === 0}>
            Export JSONL
          </button>
          <button type="button" onClick={() => exporting.mutate('csv')} disabled={dataset.revision === 0}>
            Export CSV
          </button>
          <button type="button" className="danger" onClick={() => setDialog({ kind: 'delete-dataset' })}>
            Delete…
          </button>
        </div>
      </header>
      {exporting.error ? <ProblemView error={exporting.error} /> : null}
      <div className="toolbar">
        <label className="inline-label">
          Revision
          <select
            aria-label="Revision"
            value={revision}
            onChange={(e) =>
              setParams({ revision: Number(e.target.value) === dataset.revision ? null : e.target.value })
            }
            disabled={dataset.revision <= 1}
          >
            {Array.from(
              { length: Math.max(dataset.revision, 1) },
              (_, i) => Math.max(dataset.revision, 1) - i,
            ).map((r) => (
              <option key={r} value={r}>
                {r === dataset.revision ? `${r} (current)` : r}
              </option>
            ))}
          </select>
        </label>
        <span className="grow" />
        {current ? (
          <>
            <button type="button" onClick={() => setDialog({ kind: 'import' })}>
              Import CSV / JSONL…
            </button>
            <button type="button" className="primary" onClick={() => setDialog({ kind: 'add' })}>
              Add item
            </button>
          </>
        ) : null}
      </div>
      {!current ? (
        <p className="notice warn" data-testid="old-revision">
          You are viewing revision {revision} of {dataset.revision}: items as they were then, read-only.{' '}
          <button type="button" className="small" onClick={() => setParams({ revision: null })}>
            Back to the current revision
          </button>
        </p>
      ) : null}
      {items.error ? <ProblemView error={items.error} onRetry={() => void items.refetch()} /> : null}
      {items.isPending ? <Loading label="Loading items…" /> : null}
      {items.data ? (
        items.data.items.length === 0 ? (
          <Empty title={current ? 'No items yet' : 'No items at this revision'}>
            {current ? 'Add an item, or import a CSV or JSONL file.' : null}
          </Empty>
        ) : (
          <table className="table items-table" aria-label="Items">
            <thead>
              <tr>
                <th>#</th>
                <th>Variables</th>
                <th>Expected</th>
                <th>Metadata</th>
                <th title="The revision this item was written at">Written</th>
                {current ? (
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {items.data.items.map((item) => (
                <tr key={item.id} data-testid={`item-${item.id}`}>
                  <td className="mono">{item.id}</td>
                  <td className="mono small json-cell">{jsonCell(item.variables)}</td>
                  <td className="mono small json-cell">{jsonCell(item.expected)}</td>
                  <td className="mono small json-cell">
                    {Object.keys(item.metadata).length ? jsonCell(item.metadata) : '—'}
                  </td>
                  <td>rev {item.revision}</td>
                  {current ? (
                    <td className="right nowrap">
                      <button
                        type="button"
                        className="small"
                        aria-label={`Edit item ${item.id}`}
                        onClick={() => setDialog({ kind: 'edit', item })}
                      >
                        Edit
                      </button>{' '}
                      <button
                        type="button"
                        className="small danger"
                        aria-label={`Delete item ${item.id}`}
                        onClick={() => setDialog({ kind: 'delete-item', item })}
                      >
                        Delete
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      {dialog?.kind === 'add' || dialog?.kind === 'edit' ? (
        <ItemDialog
          dataset={dataset.name}
          item={dialog.kind === 'edit' ? dialog.item : null}
          onClose={close}
          onSaved={changed}
        />
      ) : null}
      {dialog?.kind === 'import' ? (
        <ImportDialog dataset={dataset.name} onClose={close} onImported={changed} />
      ) : null}
      {dialog?.kind === 'delete-item' ? (
        <ConfirmDialog
          title={`Delete item #${dialog.item.id}?`}
          confirmLabel="Delete item"
          pending={removeItem.isPending}
          onConfirm={() => removeItem.mutate(dialog.item.id)}
          onClose={close}
          error={removeItem.error ? <ProblemView error={removeItem.error} /> : null}
        >
          <p>
            It leaves the next revision ({dataset.revision + 1}); revision {dataset.revision} and older keep
            it, and eval runs made on them are unchanged.
          </p>
        </ConfirmDialog>
      ) : null}
      {dialog?.kind === 'delete-dataset' ? (
        <ConfirmDialog
          title={`Delete the dataset ${dataset.name}?`}
          confirmLabel="Delete dataset"
          pending={removeDataset.isPending}
          onConfirm={() => removeDataset.mutate()}
          onClose={close}
          error={removeDataset.error ? <ProblemView error={removeDataset.error} /> : null}
        >
          <p>
            Every revision of its {dataset.itemCount} items goes. Eval runs made on it keep their results.
            This cannot be undone; export it first if you may need it.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
