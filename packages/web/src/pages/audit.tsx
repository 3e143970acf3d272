import type { AuditEvent, AuditVerification } from '@promptline/core';
import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { Fragment, useMemo, useState } from 'react';
import { api } from '../api/client.ts';
import { Empty, ProblemView, QueryView } from '../components/states.tsx';
import { formatTime } from '../lib/format.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

/** The audit log with filters and the hash chain's verification status. URL: `/audit?q=&action=`. */
export default function AuditPage() {
  const events = useQuery({ queryKey: ['audit'], queryFn: () => api.listAudit() });
  const verification = useQuery({ queryKey: ['audit-verify'], queryFn: api.verifyAudit });
  const [params, setParams] = useQueryParams();
  const [open, setOpen] = useState<number | null>(null);
  const q = (params.q ?? '').toLowerCase();
  const action = params.action ?? '';
  const actions = useMemo(() => [...new Set((events.data ?? []).map((e) => e.action))].sort(), [events.data]);
  const visible = useMemo(
    () =>
      (events.data ?? [])
        .filter(
          (e) =>
            (!action || e.action === action) &&
            (!q || `${e.actor} ${e.target} ${e.targetType} ${e.action}`.toLowerCase().includes(q)),
        )
        .sort((a, b) => b.id - a.id),
    [events.data, action, q],
  );

  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Audit log</h1>
        <ChainStatus query={verification} />
      </div>
      <div className="toolbar">
        <input
          type="search"
          className="grow"
          aria-label="Filter audit events"
          placeholder="Actor, target…"
          defaultValue={params.q ?? ''}
          onChange={(e) => setParams({ q: e.target.value }, true)}
        />
        <select
          aria-label="Action"
          value={action}
          onChange={(e) => setParams({ action: e.target.value }, true)}
        >
          <option value="">All actions</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <QueryView query={events} loadingLabel="Loading audit events…">
        {() =>
          visible.length === 0 ? (
            <Empty title={events.data?.length ? 'No event matches the filter' : 'No audit events yet'} />
          ) : (
            <table className="table" aria-label="Audit events">
              <thead>
                <tr>
                  <th>#</th>
                  <th>When</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Hash</th>
                </tr>
              </thead>
              <tbody>
                {visible.map((e) => (
                  <AuditRow
                    key={e.id}
                    event={e}
                    open={open === e.id}
                    onToggle={() => setOpen(open === e.id ? null : e.id)}
                    broken={verification.data?.brokenAt === e.id}
                  />
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </div>
  );
}

function ChainStatus({ query }: { query: UseQueryResult<AuditVerification> }) {
  if (query.error) return <ProblemView error={query.error} />;
  if (!query.data) return <span className="badge">Verifying chain…</span>;
  const v = query.data;
  return v.ok ? (
    <span className="badge pass" data-testid="chain-status">
      ✓ Chain verified ({v.checked} events)
    </span>
  ) : (
    <span className="badge fail" data-testid="chain-status" title={v.reason ?? ''}>
      ✗ Chain broken at #{v.brokenAt}: {v.reason}
    </span>
  );
}

function AuditRow({
  event,
  open,
  onToggle,
  broken,
}: {
  event: AuditEvent;
  open: boolean;
  onToggle: () => void;
  broken: boolean;
}) {
  return (
    <Fragment>
      <tr className={broken ? 'broken' : ''}>
        <td>
          <button type="button" className="ghost small" aria-expanded={open} onClick={onToggle}>
            {open ? '▾' : '▸'} {event.id}
          </button>
        </td>
        <td title={event.at}>{formatTime(event.at)}</td>
        <td>{event.actor}</td>
        <td>
          <code>{event.action}</code>
        </td>
        <td>
          {event.targetType} {event.target}
        </td>
        <td className="mono small">{event.hash.slice(0, 12)}</td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={6}>
            <pre className="output">{JSON.stringify(event.data, null, 2)}</pre>
            <small className="muted mono">
              prev {event.prevHash} · hash {event.hash}
            </small>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
