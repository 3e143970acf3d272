import type { PriceOverride, PriceTable } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { pricesApi } from '../../api/admin.ts';
import { ItemTable } from '../../components/sections.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { formatAgo } from '../../lib/format.ts';

/** A row being edited: numbers as typed. */
interface Row {
  provider: string;
  pattern: string;
  input: string;
  output: string;
  cachedInput: string;
}

const toRow = (p: PriceOverride): Row => ({
  provider: p.provider,
  pattern: p.pattern,
  input: String(p.input),
  output: String(p.output),
  cachedInput: p.cachedInput === undefined ? '' : String(p.cachedInput),
});

function toOverride(r: Row): PriceOverride {
  return {
    provider: r.provider.trim(),
    pattern: r.pattern.trim(),
    input: Number(r.input),
    output: Number(r.output),
    ...(r.cachedInput.trim() === '' ? {} : { cachedInput: Number(r.cachedInput) }),
  };
}

const key = (p: { provider: string; pattern: string }) => `${p.provider}\u0000${p.pattern}`;

/** Model prices: the project's overrides over the shipped table. URL: `/settings/prices?q=`. */
export function PricesPage() {
  const prices = useQuery({ queryKey: ['prices'], queryFn: pricesApi.get });
  return (
    <QueryView query={prices} loadingLabel="Loading prices…">
      {(table) => <PricesEditor key={table.updatedAt ?? 'none'} table={table} />}
    </QueryView>
  );
}

function PricesEditor({ table }: { table: PriceTable }) {
  const queryClient = useQueryClient();
  const [rows, setRows] = useState<Row[]>(() => table.items.map(toRow));
  const [q, setQ] = useState('');
  const dirty = JSON.stringify(rows.map(toOverride)) !== JSON.stringify(table.items);
  const save = useMutation({
    mutationFn: () => pricesApi.put(rows.map(toOverride)),
    onSuccess: (saved) => queryClient.setQueryData(['prices'], saved),
  });
  const overridden = useMemo(() => new Set(table.items.map(key)), [table.items]);
  const shipped = table.defaults.filter(
    (d) => !q || `${d.provider} ${d.pattern}`.toLowerCase().includes(q.toLowerCase()),
  );
  const set = (i: number, patch: Partial<Row>) =>
    setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="stack">
      <form
        className="card form"
        aria-label="Price overrides"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <div className="row">
          <h2 className="grow">This project’s prices</h2>
          {table.updatedAt ? (
            <span className="muted small">
              changed {formatAgo(table.updatedAt)} by {table.updatedBy}
            </span>
          ) : null}
        </div>
        <p className="muted small">
          USD per million tokens. A pattern matches a model and its dated snapshots (<code>gpt-4o</code>{' '}
          matches <code>gpt-4o-2024-08-06</code>) or is a glob with <code>*</code>; provider <code>*</code> is
          any. The most specific match wins, and an override beats the shipped price.
        </p>
        {rows.length === 0 ? (
          <Empty title="No overrides: the shipped prices below apply">
            Add one to price a model of your own or a negotiated rate.
          </Empty>
        ) : (
          <ItemTable
            label="Overrides"
            columns={['Provider', 'Model pattern', 'Input', 'Output', 'Cached input']}
          >
            {rows.map((r, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions being edited
              <tr key={i}>
                <td>
                  <input
                    aria-label={`Override ${i + 1} provider`}
                    value={r.provider}
                    onChange={(e) => set(i, { provider: e.target.value })}
                    placeholder="e.g. openai or *"
                    required
                    size={12}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Override ${i + 1} model pattern`}
                    value={r.pattern}
                    onChange={(e) => set(i, { pattern: e.target.value })}
                    placeholder="e.g. gpt-4o or my-model*"
                    required
                  />
                </td>
                {(['input', 'output', 'cachedInput'] as const).map((f) => (
                  <td key={f}>
                    <input
                      aria-label={`Override ${i + 1} ${f === 'cachedInput' ? 'cached input' : f} price`}
                      type="number"
                      min={0}
                      step="any"
                      value={r[f]}
                      onChange={(e) => set(i, { [f]: e.target.value })}
                      placeholder={f === 'cachedInput' ? 'as input' : ''}
                      required={f !== 'cachedInput'}
                      size={8}
                    />
                  </td>
                ))}
                <td>
                  <button
                    type="button"
                    className="ghost"
                    aria-label={`Remove override ${i + 1}`}
                    onClick={() => setRows(rows.filter((_, j) => j !== i))}
                  >
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </ItemTable>
        )}
        {save.error ? <ProblemView error={save.error} /> : null}
        <div className="row end">
          <button
            type="button"
            onClick={() =>
              setRows([...rows, { provider: '', pattern: '', input: '', output: '', cachedInput: '' }])
            }
          >
            Add override
          </button>
          {dirty ? (
            <button type="button" onClick={() => setRows(table.items.map(toRow))}>
              Discard changes
            </button>
          ) : null}
          <button type="submit" className="primary" disabled={!dirty || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save prices'}
          </button>
        </div>
      </form>
      <section className="stack">
        <div className="toolbar">
          <h2 className="grow">Shipped prices</h2>
          <input
            type="search"
            aria-label="Filter shipped prices"
            placeholder="Filter by provider or model"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
        </div>
        <ItemTable
          label="Shipped prices"
          columns={['Provider', 'Model pattern', 'Input', 'Output', 'Cached input']}
        >
          {shipped.map((d) => (
            <tr key={key(d)} className={overridden.has(key(d)) ? 'muted' : ''}>
              <td>{d.provider}</td>
              <td className="mono">{d.pattern}</td>
              <td>{d.input}</td>
              <td>{d.output}</td>
              <td>{d.cachedInput ?? '—'}</td>
              <td className="right">
                {overridden.has(key(d)) ? (
                  <span className="badge warn">overridden</span>
                ) : (
                  <button
                    type="button"
                    className="small"
                    aria-label={`Override ${d.provider} ${d.pattern}`}
                    onClick={() => setRows([...rows, toRow(d)])}
                  >
                    Override
                  </button>
                )}
              </td>
            </tr>
          ))}
        </ItemTable>
      </section>
    </div>
  );
}
