import { type FormEvent, useId } from 'react';
import { TRACE_FILTER_KEYS, type TraceFilters } from '../../api/traces.ts';

const TEXT_FIELDS: { key: keyof TraceFilters; label: string; placeholder: string; width?: string }[] = [
  { key: 'prompt', label: 'Prompt', placeholder: 'support/triage' },
  { key: 'version', label: 'Version', placeholder: '3', width: '5em' },
  { key: 'env', label: 'Environment', placeholder: 'production' },
  { key: 'model', label: 'Model', placeholder: 'gpt-4o-mini' },
  { key: 'userId', label: 'User', placeholder: 'user id' },
  { key: 'sessionId', label: 'Session', placeholder: 'session id' },
  { key: 'score', label: 'Score', placeholder: 'score name' },
  { key: 'scoreMax', label: 'Score ≤', placeholder: '0.5', width: '5em' },
];

/** `2026-03-01T10:00` (a datetime-local value, local time) ↔ an ISO instant. */
const toLocal = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocal = (local: string) => (local ? new Date(local).toISOString() : '');

/**
 * The list's filters, applied together on submit (Enter or Apply) so typing does not query the
 * server on every keystroke; the status select applies at once.
 */
export function TraceFilterForm({
  filters,
  onApply,
}: {
  filters: TraceFilters;
  onApply: (next: Record<string, string | null>) => void;
}) {
  const id = useId();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const next: Record<string, string | null> = {};
    for (const key of TRACE_FILTER_KEYS) {
      const raw = String(data.get(key) ?? '').trim();
      next[key] = key === 'from' || key === 'to' ? fromLocal(raw) || null : raw || null;
    }
    onApply(next);
  };
  // Keyed by the filters so "Clear" and back/forward reset the inputs.
  return (
    <form
      className="trace-filters"
      aria-label="Trace filters"
      onSubmit={submit}
      key={JSON.stringify(filters)}
    >
      <input
        type="search"
        name="q"
        className="trace-search"
        aria-label="Search input and output"
        placeholder="Search inputs and outputs…"
        defaultValue={filters.q ?? ''}
      />
      {TEXT_FIELDS.map((f) => (
        <label key={f.key} className="trace-filter">
          <span>{f.label}</span>
          <input
            name={f.key}
            defaultValue={filters[f.key] ?? ''}
            placeholder={f.placeholder}
            style={f.width ? { width: f.width } : undefined}
          />
        </label>
      ))}
      <label className="trace-filter">
        <span>Status</span>
        <select
          name="status"
          defaultValue={filters.status ?? ''}
          onChange={(e) => onApply({ status: e.target.value || null })}
        >
          <option value="">Any</option>
          <option value="ok">OK</option>
          <option value="error">Error</option>
        </select>
      </label>
      <label className="trace-filter" htmlFor={`${id}-from`}>
        <span>From</span>
        <input id={`${id}-from`} type="datetime-local" name="from" defaultValue={toLocal(filters.from)} />
      </label>
      <label className="trace-filter" htmlFor={`${id}-to`}>
        <span>To</span>
        <input id={`${id}-to`} type="datetime-local" name="to" defaultValue={toLocal(filters.to)} />
      </label>
      <div className="row">
        <button type="submit">Apply</button>
        <button
          type="button"
          className="ghost"
          onClick={() => onApply(Object.fromEntries(TRACE_FILTER_KEYS.map((k) => [k, null])))}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
