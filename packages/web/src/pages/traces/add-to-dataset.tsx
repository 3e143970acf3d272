import type { TracesToDatasetInput, TracesToDatasetResult } from '@promptline/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { datasetsApi } from '../../api/admin.ts';
import { type TraceFilters, tracesApi } from '../../api/traces.ts';
import { Modal } from '../../components/dialog.tsx';
import { CodeField } from '../../components/fields.tsx';
import { ProblemView } from '../../components/states.tsx';

/** What goes to the dataset: one span of a trace (its expected answer editable), or a filtered list. */
export type AddTarget =
  | { kind: 'span'; traceId: string; spanId: string; output: unknown }
  | { kind: 'filter'; filters: TraceFilters; count: number };

const NEW = '__new__';

/** The span's output as editable text: a string as is, anything else as indented JSON. */
const editable = (output: unknown) =>
  output === undefined || output === null
    ? ''
    : typeof output === 'string'
      ? output
      : JSON.stringify(output, null, 2);

/** Back from text: JSON when the output was JSON and the text still parses, else the text. */
function expectedOf(text: string, output: unknown): unknown {
  if (text.trim() === '') return null;
  if (typeof output === 'string' || output === undefined || output === null) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Edited into something that is no longer JSON: the text as typed is the expected answer.
    return text;
  }
}

/**
 * "Add to dataset": choose a dataset or name a new one; for one span the expected output is
 * edited before saving, for a filtered list the outputs become the expected answers (or none).
 * Uses `POST /api/v1/datasets/{name}/items/from-traces`.
 */
export function AddToDatasetDialog({ target, onClose }: { target: AddTarget; onClose: () => void }) {
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: datasetsApi.list });
  const [choice, setChoice] = useState('');
  const [newName, setNewName] = useState('');
  const [expected, setExpected] = useState(target.kind === 'span' ? editable(target.output) : '');
  const [useOutputs, setUseOutputs] = useState(true);
  const [limit, setLimit] = useState(target.kind === 'filter' ? Math.min(100, Math.max(1, target.count)) : 1);
  const [done, setDone] = useState<TracesToDatasetResult | null>(null);
  const chosen =
    choice === NEW || (datasets.data?.length ?? 0) === 0 ? NEW : choice || datasets.data?.[0]?.name || NEW;
  const name = chosen === NEW ? newName.trim() : chosen;

  const save = useMutation({
    mutationFn: () =>
      tracesApi.toDataset(
        name,
        target.kind === 'span'
          ? {
              create: chosen === NEW,
              traces: [
                {
                  traceId: target.traceId,
                  spanId: target.spanId,
                  expected: expectedOf(expected, target.output),
                },
              ],
            }
          : {
              create: chosen === NEW,
              // The page's query string as is: the server validates (and coerces) it like the list.
              filter: target.filters as TracesToDatasetInput['filter'],
              limit,
              expected: useOutputs ? 'output' : 'none',
            },
      ),
    onSuccess: setDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name) save.mutate();
  };

  return (
    <Modal title="Add to dataset" onClose={onClose} wide={target.kind === 'span'}>
      {(close) =>
        done ? (
          <div className="form" data-testid="add-to-dataset-done">
            <p>
              Added {done.items.length} item{done.items.length === 1 ? '' : 's'} to{' '}
              <Link href={`/datasets/${encodeURIComponent(done.dataset)}`}>{done.dataset}</Link>
              {done.created ? ' (new dataset)' : ''}
              {done.revision === null ? '' : `, revision ${done.revision}`}.
              {done.skipped.length > 0 ? ` ${done.skipped.length} skipped: ${done.skipped[0]?.reason}` : ''}
            </p>
            <div className="row end">
              <button type="button" onClick={close}>
                Close
              </button>
            </div>
          </div>
        ) : (
          <form className="form" onSubmit={submit}>
            <label>
              Dataset
              <select value={chosen} onChange={(e) => setChoice(e.target.value)}>
                {(datasets.data ?? []).map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name}
                  </option>
                ))}
                <option value={NEW}>New dataset…</option>
              </select>
            </label>
            {chosen === NEW ? (
              <label>
                New dataset name
                <input
                  value={newName}
                  onChange={(e) => setNewName(e.target.value)}
                  placeholder="support/regressions"
                  required
                />
              </label>
            ) : null}
            {target.kind === 'span' ? (
              <CodeField
                label="Expected output"
                rows={8}
                value={expected}
                onChange={setExpected}
                placeholder="Leave empty for no expected answer"
              />
            ) : (
              <>
                <label>
                  Traces to add (newest first, of {target.count}
                  {target.count >= 100 ? '+' : ''} listed)
                  <input
                    type="number"
                    min={1}
                    max={1000}
                    value={limit}
                    onChange={(e) => setLimit(Number(e.target.value))}
                  />
                </label>
                <label className="row">
                  <input
                    type="checkbox"
                    checked={useOutputs}
                    onChange={(e) => setUseOutputs(e.target.checked)}
                  />
                  Use each span's output as the expected answer (edit items later in the dataset)
                </label>
              </>
            )}
            {save.error ? <ProblemView error={save.error} /> : null}
            <div className="row end">
              <button type="button" onClick={close}>
                Cancel
              </button>
              <button type="submit" className="primary" disabled={save.isPending || !name}>
                {save.isPending ? 'Adding…' : 'Add'}
              </button>
            </div>
          </form>
        )
      }
    </Modal>
  );
}
