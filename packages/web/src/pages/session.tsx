import type { TraceDetail } from '@promptline/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { tracesApi } from '../api/traces.ts';
import { Empty, QueryView } from '../components/states.tsx';
import { formatTime, formatUsd } from '../lib/format.ts';
import { Payload } from './traces/payload.tsx';
import './traces/traces.css';

/** Most turns shown: the session's latest traces. */
const MAX_TURNS = 50;

/** The span that speaks for a turn: the first with a prompt, else the root. */
const turnSpan = (t: TraceDetail) => t.spans.find((s) => s.prompt) ?? t.spans[0];

/** The traces of one session as a conversation, oldest turn first. URL: `/sessions/<sessionId>`. */
export default function SessionPage({ sessionId }: { sessionId: string }) {
  const list = useQuery({
    queryKey: ['session', sessionId],
    queryFn: () => tracesApi.list({ sessionId }, undefined, MAX_TURNS),
  });
  const ids = [...(list.data?.items ?? [])].reverse().map((t) => t.traceId);
  const details = useQueries({
    queries: ids.map((id) => ({ queryKey: ['trace', id], queryFn: () => tracesApi.get(id) })),
  });
  const cost = (list.data?.items ?? []).reduce((n, t) => n + (t.costUsd ?? 0), 0);
  return (
    <div className="stack">
      <p className="crumbs">
        <Link href={`/traces?sessionId=${encodeURIComponent(sessionId)}`}>Traces</Link> / session
      </p>
      <h1>Session {sessionId}</h1>
      <QueryView query={list} loadingLabel="Loading the session…">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No traces in this session" />
          ) : (
            <>
              <p className="muted">
                {page.items.length} turn{page.items.length === 1 ? '' : 's'}
                {page.nextCursor ? ` (the latest ${MAX_TURNS})` : ''} · {formatUsd(cost)}
              </p>
              <ol className="plain stack" aria-label="Turns">
                {details.map((d, i) => {
                  const t = d.data;
                  const s = t ? turnSpan(t) : undefined;
                  return (
                    <li key={ids[i]} className="card" data-testid="session-turn">
                      {t && s ? (
                        <>
                          <p className="muted small">
                            <Link href={`/traces/${t.traceId}`}>{formatTime(t.startTime)}</Link>
                            {s.prompt ? ` · ${s.prompt.name} v${s.prompt.version}` : ''}
                            {t.status === 'error' ? ' · error' : ''}
                          </p>
                          <Payload value={s.input} label="Input" />
                          <Payload value={s.output} label="Output" />
                        </>
                      ) : (
                        <p className="muted">Loading…</p>
                      )}
                    </li>
                  );
                })}
              </ol>
            </>
          )
        }
      </QueryView>
    </div>
  );
}
