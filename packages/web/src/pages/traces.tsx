import type { TraceSummary, TraceTailEvent } from '@promptline/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'wouter';
import { tailCovers, traceFilters, traceListQuery, tracesApi } from '../api/traces.ts';
import { Empty, ProblemView } from '../components/states.tsx';
import { formatMs, formatTime, formatUsd } from '../lib/format.ts';
import { mergeTail } from '../lib/trace-list.ts';
import { useQueryParams } from '../lib/use-query-params.ts';
import { type AddTarget, AddToDatasetDialog } from './traces/add-to-dataset.tsx';
import { AddToQueueDialog, type QueueTarget } from './traces/add-to-queue.tsx';
import { TraceFilterForm } from './traces/filters.tsx';
import './traces/traces.css';

const ROW_HEIGHT = 36;
/** Tail events kept before the oldest are dropped (the list keeps what they merged). */
const MAX_EVENTS = 2_000;

/**
 * The trace explorer: every trace of the project, newest first, filtered by the query string
 * (`/traces?prompt=&version=&env=&model=&status=&userId=&sessionId=&score=&scoreMax=&from=&to=&q=`),
 * paged by cursor as the list scrolls, virtualised, with a live tail of new spans.
 */
export default function TracesPage() {
  const [params, setParams] = useQueryParams();
  // Read by bench/traces-page.bench.ts: from here to the rows drawn ('traces-render').
  useState(() => performance.mark('traces-start'));
  const filters = useMemo(() => traceFilters(params), [params]);
  const key = JSON.stringify(filters);
  const live = params.live !== '0';
  const [events, setEvents] = useState<TraceTailEvent[]>([]);
  const [connected, setConnected] = useState(false);
  const [adding, setAdding] = useState<AddTarget | null>(null);
  const [queueing, setQueueing] = useState<QueueTarget | null>(null);
  // Traces ticked in the list ("Add to queue" takes them; without any, the filter's traces).
  const [selected, setSelected] = useState<ReadonlySet<string>>(() => new Set());
  const toggle = useCallback(
    (traceId: string) =>
      setSelected((s) => {
        const next = new Set(s);
        if (!next.delete(traceId)) next.add(traceId);
        return next;
      }),
    [],
  );

  // Its first page is usually in flight already: the route asked for it (app.tsx).
  const pages = useInfiniteQuery(traceListQuery(filters));

  // A new first page already holds what the tail said before it: start over (without a render
  // when there is nothing to drop, as on the first load).
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset whenever the first page is (re)loaded
  useEffect(() => setEvents((list) => (list.length === 0 ? list : [])), [pages.data?.pages[0]]);

  const tailable = tailCovers(filters);
  useEffect(() => {
    if (!live || !tailable) {
      setConnected(false);
      return;
    }
    // "Live" speaks of this filter's stream: not until it is open (the previous one just closed).
    setConnected(false);
    return tracesApi.tail(
      JSON.parse(key),
      (event) => setEvents((list) => [...list.slice(-(MAX_EVENTS - 1)), event]),
      setConnected,
    );
  }, [key, live, tailable]);

  const loaded = useMemo(() => pages.data?.pages.flatMap((p) => p.items) ?? [], [pages.data]);
  const rows = useMemo(() => mergeTail(loaded, events), [loaded, events]);

  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Traces</h1>
        <Link href="/users">End users</Link>
        <span className={connected ? 'badge live' : 'badge'} data-testid="tail-status" aria-live="polite">
          {!tailable
            ? 'Live tail off (time or score filter)'
            : connected
              ? '● Live'
              : live
                ? 'Connecting…'
                : 'Paused'}
        </span>
        <button
          type="button"
          className="ghost"
          onClick={() => setParams({ live: live ? '0' : null }, true)}
          disabled={!tailable}
        >
          {live ? 'Pause live tail' : 'Resume live tail'}
        </button>
        <button
          type="button"
          onClick={() => setAdding({ kind: 'filter', filters, count: loaded.length })}
          disabled={loaded.length === 0}
        >
          Add to dataset…
        </button>
        <button
          type="button"
          onClick={() =>
            setQueueing(
              selected.size > 0
                ? { kind: 'ids', traceIds: [...selected] }
                : { kind: 'filter', filters, count: loaded.length },
            )
          }
          disabled={loaded.length === 0}
        >
          {selected.size > 0 ? `Add ${selected.size} to queue…` : 'Add to queue…'}
        </button>
      </div>
      <TraceFilterForm
        filters={filters}
        onApply={(next) => {
          performance.mark('traces-start');
          setParams(next, true);
        }}
      />
      {pages.error ? (
        <ProblemView error={pages.error} onRetry={() => pages.refetch()} />
      ) : pages.isPending ? (
        <p className="muted">Loading traces…</p>
      ) : rows.length === 0 ? (
        <Empty title={Object.keys(filters).length ? 'No trace matches these filters' : 'No traces yet'}>
          Send spans with the SDK, the gateway or OpenTelemetry (see docs/traces.md); new ones appear here
          live.
        </Empty>
      ) : (
        <TraceTable
          rows={rows}
          selected={selected}
          onToggle={toggle}
          hasMore={pages.hasNextPage}
          loadMore={() => {
            if (!pages.isFetchingNextPage) pages.fetchNextPage();
          }}
        />
      )}
      {adding ? <AddToDatasetDialog target={adding} onClose={() => setAdding(null)} /> : null}
      {queueing ? (
        <AddToQueueDialog
          target={queueing}
          onClose={() => {
            setQueueing(null);
            setSelected(new Set());
          }}
        />
      ) : null}
    </div>
  );
}

const COLUMNS =
  '28px 170px minmax(160px, 2fr) minmax(120px, 1.3fr) 100px minmax(90px, 1fr) 64px minmax(80px, 1fr) 80px 90px 80px 50px';

function TraceTable({
  rows,
  selected,
  onToggle,
  hasMore,
  loadMore,
}: {
  rows: TraceSummary[];
  selected: ReadonlySet<string>;
  onToggle: (traceId: string) => void;
  hasMore: boolean;
  loadMore: () => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1200, height: 700 },
  });
  const items = virtualizer.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (hasMore && last >= rows.length - 20) loadMore();
  }, [hasMore, last, rows.length, loadMore]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each commit of new rows
  useLayoutEffect(() => {
    // Marks read by bench/traces-page.bench.ts: first rows drawn, and a filter change drawn.
    if (performance.getEntriesByName('traces-start').length > 0) {
      performance.measure('traces-render', 'traces-start');
      performance.clearMarks('traces-start');
    }
  }, [rows]);

  return (
    <div className="trace-table">
      {/* Column titles for sighted users; each row reads as one line of labelled values. */}
      <div className="trace-row head" aria-hidden="true" style={{ gridTemplateColumns: COLUMNS }}>
        {[
          '',
          'Started',
          'Name',
          'Prompt',
          'Environment',
          'Model',
          'Status',
          'User',
          'Duration',
          'Tokens',
          'Cost',
          'Spans',
        ].map((h) => (
          <span key={h}>{h}</span>
        ))}
      </div>
      <div ref={scroller} className="trace-scroll">
        <ul
          className="plain"
          aria-label="Traces"
          style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
        >
          {items.map((item) => {
            const t = rows[item.index];
            return t ? (
              <TraceRow
                key={t.traceId}
                trace={t}
                top={item.start}
                checked={selected.has(t.traceId)}
                onToggle={onToggle}
              />
            ) : null;
          })}
        </ul>
      </div>
      <p className="muted small">
        {rows.length} trace{rows.length === 1 ? '' : 's'} listed{hasMore ? ' — scroll for older ones' : ''}
      </p>
    </div>
  );
}

const TraceRow = memo(function TraceRow({
  trace: t,
  top,
  checked,
  onToggle,
}: {
  trace: TraceSummary;
  top: number;
  checked: boolean;
  onToggle: (traceId: string) => void;
}) {
  return (
    <li
      className="trace-row"
      data-testid="trace-row"
      data-trace-id={t.traceId}
      style={{ gridTemplateColumns: COLUMNS, transform: `translateY(${top}px)` }}
    >
      <span>
        <input
          type="checkbox"
          aria-label={`Select trace ${t.name} ${t.traceId}`}
          checked={checked}
          onChange={() => onToggle(t.traceId)}
        />
      </span>
      {/* Element Timing: bench/traces-page.bench.ts reads when the first rows' text was painted. */}
      <span title={t.startTime} elementtiming="trace-row">
        {formatTime(t.startTime)}
      </span>
      <span className="ellipsis">
        <Link href={`/traces/${t.traceId}`}>{t.name}</Link>
      </span>
      <span className="ellipsis">{t.prompt ? `${t.prompt.name} v${t.prompt.version}` : '—'}</span>
      <span className="ellipsis">{t.prompt?.environment ?? '—'}</span>
      <span className="ellipsis">{t.model ?? '—'}</span>
      <span>
        <span className={t.status === 'error' ? 'badge fail' : 'badge pass'}>{t.status}</span>
      </span>
      <span className="ellipsis">
        {t.sessionId ? (
          <Link href={`/sessions/${encodeURIComponent(t.sessionId)}`} title={`session ${t.sessionId}`}>
            {t.userId ?? 'session'}
          </Link>
        ) : (
          (t.userId ?? '—')
        )}
      </span>
      <span>{formatMs(t.durationMs)}</span>
      <span>
        {t.usage.input}/{t.usage.output}
      </span>
      <span>{formatUsd(t.costUsd)}</span>
      <span title="spans">{t.spanCount}</span>
    </li>
  );
});
