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

/**
 * What the app says when something a page points to is not there. The API's own detail speaks to
 * programs (routes, URL-encoding); a person needs where to look instead. The code stays shown.
 */
const NOT_FOUND_ADVICE: Record<string, { title: string; detail: string }> = {
  PROMPT_NOT_FOUND: {
    title: 'No such prompt',
    detail: 'It may have been renamed, or the link is mistyped. Find it in the registry, or create it there.',
  },
  DATASET_NOT_FOUND: {
    title: 'No such dataset',
    detail: 'It may have been deleted, or the link is mistyped. The Datasets page lists every dataset.',
  },
  EVAL_RUN_NOT_FOUND: {
    title: 'No such eval run',
    detail: 'The link may be mistyped. The Evals page lists every run.',
  },
  VERSION_NOT_FOUND: {
    title: 'No such version',
    detail: 'The prompt has no version with that number. Its History tab lists every version.',
  },
};

/** An API problem (or any error) shown with its title, detail, code and request id. */
export function ProblemView({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const p = toProblem(error);
  const advice = p.status === 404 ? NOT_FOUND_ADVICE[p.code] : undefined;
  if (advice) {
    return (
      <div className="state state-error" role="alert" data-testid="not-found">
        <strong>{advice.title}</strong>
        <p>{advice.detail}</p>
        <small className="muted">{p.code}</small>
      </div>
    );
  }
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
