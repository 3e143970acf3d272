import type { TraceDetail, TraceSpan } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { tracesApi } from '../api/traces.ts';
import { QueryView } from '../components/states.tsx';
import { formatMs, formatTime, formatUsd } from '../lib/format.ts';
import { type AddTarget, AddToDatasetDialog } from './traces/add-to-dataset.tsx';
import { Payload } from './traces/payload.tsx';
import './traces/traces.css';

/** One trace: its spans as a waterfall, and the chosen span in full. URL: `/traces/<traceId>?span=`. */
export default function TracePage({ traceId }: { traceId: string }) {
  const trace = useQuery({ queryKey: ['trace', traceId], queryFn: () => tracesApi.get(traceId) });
  return (
    <QueryView query={trace} loadingLabel="Loading the trace…">
      {(t) => <TraceView trace={t} />}
    </QueryView>
  );
}

/** A trace's waterfall and chosen span; `embedded` (the review screen) leaves out the breadcrumbs. */
export function TraceView({ trace, embedded = false }: { trace: TraceDetail; embedded?: boolean }) {
  const first = trace.spans.find((s) => s.prompt) ?? trace.spans[0];
  const [selected, setSelected] = useState(first?.spanId ?? '');
  const [adding, setAdding] = useState<AddTarget | null>(null);
  const span = trace.spans.find((s) => s.spanId === selected) ?? first;
  const t0 = Date.parse(trace.startTime);
  const total = Math.max(trace.durationMs, 1);
  return (
    <div className="stack">
      {embedded ? null : (
        <p className="crumbs">
          <Link href="/traces">Traces</Link> / <span className="mono">{trace.traceId}</span>
        </p>
      )}
      <div className="toolbar">
        {embedded ? (
          <h2 className="grow">
            <Link href={`/traces/${trace.traceId}`}>{trace.name}</Link>
          </h2>
        ) : (
          <h1 className="grow">{trace.name}</h1>
        )}
        <span className={trace.status === 'error' ? 'badge fail' : 'badge pass'}>{trace.status}</span>
        {trace.sessionId ? (
          <Link href={`/traces?sessionId=${encodeURIComponent(trace.sessionId)}`}>
            Session {trace.sessionId}
          </Link>
        ) : null}
      </div>
      <p className="muted">
        {formatTime(trace.startTime)} · {formatMs(trace.durationMs)} · {trace.spanCount} spans · tokens{' '}
        {trace.usage.input}/{trace.usage.output} · {formatUsd(trace.costUsd)}
        {trace.userId ? ` · user ${trace.userId}` : ''}
      </p>
      <ol className="plain waterfall" aria-label="Spans">
        {trace.spans.map((s) => {
          const left = ((Date.parse(s.startTime) - t0) / total) * 100;
          const width = Math.max((s.durationMs / total) * 100, 0.5);
          return (
            <li key={`${s.spanId}-${s.startTime}`}>
              <button
                type="button"
                className={s.spanId === span?.spanId ? 'waterfall-row selected' : 'waterfall-row'}
                aria-pressed={s.spanId === span?.spanId}
                onClick={() => setSelected(s.spanId)}
                data-testid="span-row"
              >
                <span className="waterfall-name" style={{ paddingLeft: `${s.depth * 14}px` }}>
                  {s.name}
                  {s.contract?.violation ? (
                    <span className="badge fail" title={s.contract.message ?? undefined}>
                      {' '}
                      contract
                    </span>
                  ) : null}
                </span>
                <span className="waterfall-track">
                  <span
                    className={s.status === 'error' ? 'waterfall-bar error' : 'waterfall-bar'}
                    style={{
                      left: `${Math.min(left, 99.5)}%`,
                      width: `${Math.min(width, 100 - Math.min(left, 99.5))}%`,
                    }}
                  />
                </span>
                <span className="waterfall-ms">{formatMs(s.durationMs)}</span>
              </button>
            </li>
          );
        })}
      </ol>
      {span ? (
        <SpanDetail
          span={span}
          onAdd={() =>
            setAdding({ kind: 'span', traceId: trace.traceId, spanId: span.spanId, output: span.output })
          }
        />
      ) : null}
      {adding ? <AddToDatasetDialog target={adding} onClose={() => setAdding(null)} /> : null}
    </div>
  );
}

function SpanDetail({ span: s, onAdd }: { span: TraceSpan; onAdd: () => void }) {
  return (
    <section className="card stack" aria-label="Span detail">
      <div className="toolbar">
        <h2 className="grow">{s.name}</h2>
        <button type="button" onClick={onAdd}>
          Add to dataset…
        </button>
      </div>
      <dl className="span-facts">
        <dt>Prompt</dt>
        <dd>
          {s.prompt ? (
            <Link href={`/prompts/${encodeURIComponent(s.prompt.name)}?v=${s.prompt.version}`}>
              {s.prompt.name} v{s.prompt.version}
            </Link>
          ) : (
            '—'
          )}
          {s.prompt?.environment ? ` in ${s.prompt.environment}` : ''}
        </dd>
        <dt>Model</dt>
        <dd>{[s.provider, s.model].filter(Boolean).join('/') || '—'}</dd>
        <dt>Latency</dt>
        <dd>{formatMs(s.durationMs)}</dd>
        <dt>Time to first token</dt>
        <dd>{formatMs(s.timeToFirstTokenMs)}</dd>
        <dt>Tokens</dt>
        <dd>
          {s.usage
            ? `${s.usage.input} in / ${s.usage.output} out${s.usage.cachedInput ? ` (${s.usage.cachedInput} cached)` : ''}`
            : '—'}
        </dd>
        <dt>Cost</dt>
        <dd>
          {formatUsd(s.costUsd)}
          {s.costComputed ? ' (from the price table)' : ''}
        </dd>
        <dt>Status</dt>
        <dd>
          {s.status}
          {s.statusMessage ? `: ${s.statusMessage}` : ''}
        </dd>
        <dt>Source</dt>
        <dd>{s.source}</dd>
        {s.contract ? (
          <>
            <dt>Output contract</dt>
            <dd data-testid="span-contract">
              {s.contract.violation ? (
                <>
                  <span className="badge fail">violated</span> {s.contract.message}
                </>
              ) : (
                <span className="badge pass">met</span>
              )}
            </dd>
          </>
        ) : null}
      </dl>
      <h3>Input</h3>
      <Payload value={s.input} label="Input" />
      <h3>Output</h3>
      <Payload value={s.output} label="Output" />
      {s.variables ? (
        <>
          <h3>Variables</h3>
          <Payload value={s.variables} label="Variables" />
        </>
      ) : null}
      {s.attributes && Object.keys(s.attributes).length > 0 ? (
        <>
          <h3>Attributes</h3>
          <Payload value={s.attributes} label="Attributes" />
        </>
      ) : null}
      <h3>Scores</h3>
      {s.scores.length === 0 ? (
        <p className="muted">No scores.</p>
      ) : (
        <table className="table" aria-label="Scores">
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
              <th>Source</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {s.scores.map((sc) => (
              <tr key={sc.id}>
                <td>{sc.name}</td>
                <td>{String(sc.value)}</td>
                <td>{sc.source}</td>
                <td>{sc.comment ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
