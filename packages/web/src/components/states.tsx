import type { ReactNode } from 'react';
import { toProblem } from '../api/problem.ts';

/** A spinner line while data loads. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** What to show when a list has nothing in it, with the next step to take. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/** An API problem (or any error) shown with its title, detail, code and request id. */
export function ProblemView({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const p = toProblem(error);
  return (
    <div className="state state-error" role="alert">
      <strong>{p.title}</strong>
      {p.detail ? <p>{p.detail}</p> : null}
      {p.errors.length > 0 ? (
        <ul>
          {p.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              {e.path ? <code>{e.path}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      <small className="muted">
        {p.code}
        {p.status ? ` · HTTP ${p.status}` : ''}
        {p.requestId ? ` · request ${p.requestId}` : ''}
      </small>
      {onRetry ? (
        <div>
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** Renders loading, error or the data of a query-like object. */
export function QueryView<T>({
  query,
  children,
  loadingLabel,
}: {
  query: { isPending: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
  loadingLabel?: string;
}) {
  if (query.error) return <ProblemView error={query.error} onRetry={() => void query.refetch()} />;
  if (query.isPending || query.data === undefined)
    return <Loading {...(loadingLabel ? { label: loadingLabel } : {})} />;
  return <>{children(query.data)}</>;
}
