import type { DatasetImportPreview, DatasetItem, DatasetItemInput } from '@promptline/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { datasetsApi, type ImportFormat } from '../api/admin.ts';
import { FormDialog, Modal } from '../components/dialog.tsx';
import { CodeField } from '../components/fields.tsx';
import { ProblemView } from '../components/states.tsx';

const pretty = (value: unknown) => (value === undefined ? '' : JSON.stringify(value, null, 2));

/** Parses a JSON field of the item form; '' is "not given". */
function parseField(label: string, text: string, object: boolean): { value?: unknown; error?: string } {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (object && (typeof value !== 'object' || value === null || Array.isArray(value)))
      return { error: `${label} must be a JSON object, like {"question": "…"}.` };
    return { value };
  } catch (error) {
    return { error: `${label} is not valid JSON: ${(error as Error).message}` };
  }
}

/** Adds an item, or edits one (a new item revision; older dataset revisions keep the old content). */
export function ItemDialog({
  dataset,
  item,
  onClose,
  onSaved,
}: {
  dataset: string;
  item: DatasetItem | null;
  onClose: () => void;
  onSaved: () => Promise<void>;
}) {
  const [variables, setVariables] = useState(pretty(item?.variables ?? {}));
  const [expected, setExpected] = useState(item && item.expected !== null ? pretty(item.expected) : '');
  const [metadata, setMetadata] = useState(
    item && Object.keys(item.metadata).length ? pretty(item.metadata) : '',
  );
  const [invalid, setInvalid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: async (body: DatasetItemInput) => {
      if (item) {
        await datasetsApi.updateItem(dataset, item.id, {
          variables: body.variables,
          expected: body.expected ?? null,
          metadata: body.metadata ?? {},
        });
      } else {
        await datasetsApi.addItem(dataset, body);
      }
      await onSaved();
    },
  });
  const submit = (close: () => void) => {
    const v = parseField('Variables', variables, true);
    const x = parseField('Expected', expected, false);
    const m = parseField('Metadata', metadata, true);
    const error = v.error ?? x.error ?? m.error;
    setInvalid(error ?? null);
    if (error) return;
    save.mutate(
      {
        variables: (v.value ?? {}) as Record<string, never>,
        ...(x.value === undefined ? {} : { expected: x.value as never }),
        ...(m.value === undefined ? {} : { metadata: m.value as Record<string, never> }),
      },
      { onSuccess: close },
    );
  };
  return (
    <FormDialog
      title={item ? `Edit item #${item.id}` : 'Add an item'}
      wide
      submitLabel={item ? 'Save item' : 'Add item'}
      pending={save.isPending}
      error={save.error}
      onSubmit={submit}
      onClose={onClose}
    >
      <CodeField
        label="Variables (JSON object: the prompt’s inputs)"
        rows={5}
        value={variables}
        onChange={setVariables}
        placeholder='e.g. {"question": "Where is my order?"}'
      />
      <CodeField
        label={
          <>
            Expected (optional: a string to equal, or assertions like{' '}
            {'{"type": "contains", "value": "refund"}'})
          </>
        }
        rows={3}
        value={expected}
        onChange={setExpected}
        placeholder='e.g. "shipping"'
      />
      <CodeField
        label="Metadata (optional JSON object)"
        rows={2}
        value={metadata}
        onChange={setMetadata}
        placeholder='e.g. {"source": "zendesk"}'
      />
      {invalid ? (
        <p className="error-text" role="alert">
          {invalid}
        </p>
      ) : null}
    </FormDialog>
  );
}

/** `cases.csv` → csv; `.jsonl`/`.ndjson`/`.json` → jsonl; otherwise guessed from the first character. */
export function guessFormat(fileName: string, text: string): ImportFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (/\.(jsonl|ndjson|json)$/.test(lower)) return 'jsonl';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * Import a CSV or JSONL file: choose or paste it, see what the server would write (its own
 * parsing, nothing written), then commit it as one new revision.
 */
export function ImportDialog({
  dataset,
  onClose,
  onImported,
}: {
  dataset: string;
  onClose: () => void;
  onImported: () => Promise<void>;
}) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [format, setFormat] = useState<ImportFormat>('csv');
  const [preview, setPreview] = useState<DatasetImportPreview | null>(null);
  const previewing = useMutation({
    mutationFn: () => datasetsApi.previewImport(dataset, text, format),
    onSuccess: setPreview,
  });
  const importing = useMutation({
    mutationFn: async () => {
      const result = await datasetsApi.import(dataset, text, format);
      await onImported();
      return result;
    },
  });
  const changed = () => {
    setPreview(null);
    previewing.reset();
  };
  return (
    <Modal title={`Import into ${dataset}`} onClose={onClose} wide>
      {(close) =>
        importing.data ? (
          <div className="stack">
            <p className="notice" role="status">
              Imported {importing.data.imported} items as revision {importing.data.revision}.
            </p>
            <div className="row end">
              <button type="button" className="primary" onClick={close}>
                Done
              </button>
            </div>
          </div>
        ) : (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              if (preview) importing.mutate();
              else previewing.mutate();
            }}
          >
            <p className="muted small">
              CSV: a header row; <code>expected</code> → expected, <code>metadata.&lt;key&gt;</code> →
              metadata, other columns → variables. JSONL: one{' '}
              <code>{'{"variables": {…}, "expected": …}'}</code> per line. All or nothing: a bad line imports
              nothing and is named.
            </p>
            <div className="row wrap">
              <label className="grow">
                File
                <input
                  type="file"
                  accept=".csv,.jsonl,.ndjson,.json,text/csv,application/x-ndjson"
                  onChange={async (e) => {
                    const file = e.target.files?.[0];
                    if (!file) return;
                    const content = await file.text();
                    setFileName(file.name);
                    setText(content);
                    setFormat(guessFormat(file.name, content));
                    changed();
                  }}
                />
              </label>
              <label>
                Format
                <select
                  value={format}
                  onChange={(e) => {
                    setFormat(e.target.value as ImportFormat);
                    changed();
                  }}
                >
                  <option value="csv">CSV</option>
                  <option value="jsonl">JSONL</option>
                </select>
              </label>
            </div>
            <label>
              {fileName ? `Contents of ${fileName}` : 'Or paste the contents'}
              <textarea
                className="mono"
                rows={6}
                value={text}
                onChange={(e) => {
                  setText(e.target.value);
                  if (!fileName) setFormat(guessFormat('', e.target.value));
                  changed();
                }}
                placeholder={'e.g.\nquestion,expected\nWhere is my order?,shipping'}
              />
            </label>
            {previewing.error ? <ProblemView error={previewing.error} /> : null}
            {preview ? <PreviewTable preview={preview} /> : null}
            {importing.error ? <ProblemView error={importing.error} /> : null}
            <div className="row end">
              <button type="button" onClick={close}>
                Cancel
              </button>
              {preview ? (
                <button type="submit" className="primary" disabled={importing.isPending}>
                  {importing.isPending ? 'Importing…' : `Import ${preview.count} items`}
                </button>
              ) : (
                <button type="submit" className="primary" disabled={previewing.isPending || !text.trim()}>
                  {previewing.isPending ? 'Checking…' : 'Preview'}
                </button>
              )}
            </div>
          </form>
        )
      }
    </Modal>
  );
}

function PreviewTable({ preview }: { preview: DatasetImportPreview }) {
  return (
    <section className="stack" aria-label="Import preview" data-testid="import-preview">
      <strong>
        {preview.count} items, variables {preview.variables.map((v) => `“${v}”`).join(', ') || 'none'}
        {preview.count > preview.items.length ? ` (the first ${preview.items.length} shown)` : ''}
      </strong>
      <div className="scroll-box">
        <table className="table" aria-label="Items to import">
          <thead>
            <tr>
              <th>#</th>
              <th>Variables</th>
              <th>Expected</th>
              <th>Metadata</th>
            </tr>
          </thead>
          <tbody>
            {preview.items.map((item, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: preview rows are positions in the file
              <tr key={i}>
                <td>{i + 1}</td>
                <td className="mono small json-cell">{JSON.stringify(item.variables)}</td>
                <td className="mono small json-cell">
                  {item.expected === undefined
                    ? '—'
                    : typeof item.expected === 'string'
                      ? item.expected
                      : JSON.stringify(item.expected)}
                </td>
                <td className="mono small json-cell">
                  {item.metadata ? JSON.stringify(item.metadata) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
