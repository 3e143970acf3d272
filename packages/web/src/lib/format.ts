// One formatter for every call: `toLocaleString(locale, options)` builds a new Intl.DateTimeFormat
// each time, which costs far more than formatting (a list of 30 rows spent milliseconds in it).
let timeFormat: Intl.DateTimeFormat | undefined;

/** `2026-03-01T10:00:00.000Z` → a short local date-time (the same text as `toLocaleString`). */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  timeFormat ??= new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return timeFormat.format(d);
}

/** How long ago, in words: `just now`, `5 min ago`, `3 h ago`, `12 d ago`. */
export function formatAgo(iso: string, now = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** US dollars with enough digits for sub-cent LLM costs. */
export function formatUsd(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '—';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toPrecision(2)}`;
  return `$${usd.toFixed(4)}`;
}

/** Milliseconds as `83 ms` or `1.24 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
