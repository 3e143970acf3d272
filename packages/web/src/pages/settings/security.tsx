import { SECURITY_EVENT_TYPES, type SecurityEvent } from '@promptline/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type SecurityFilter, securityApi } from '../../api/security.ts';
import { Empty, ProblemView } from '../../components/states.tsx';
import { formatTime } from '../../lib/format.ts';

const NO_FILTER: SecurityFilter = { type: '', email: '', from: '', to: '' };

/** What an event says beyond its type: method, refusal code, role, project, address. */
function detailOf(e: SecurityEvent): string {
  const d = e.data;
  return [
    typeof d.method === 'string' ? d.method : '',
    typeof d.code === 'string' ? d.code : '',
    typeof d.role === 'string' ? `as ${d.role}` : '',
    e.project ? `in ${e.project}` : '',
    typeof d.address === 'string' ? `from ${d.address}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * The instance security log: sign-ins, refusals, lockouts and sign-outs of every person of the
 * instance, for instance admins (anyone else sees the server's refusal). URL: `/settings/security`.
 */
export function SecurityLogPage() {
  const [draft, setDraft] = useState<SecurityFilter>(NO_FILTER);
  const [filter, setFilter] = useState<SecurityFilter>(NO_FILTER);
  const events = useInfiniteQuery({
    queryKey: ['security-events', filter],
    queryFn: ({ pageParam }) => securityApi.page(filter, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const verification = useQuery({ queryKey: ['security-verify'], queryFn: securityApi.verify, retry: false });
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter(draft);
  };
  const set = (patch: Partial<SecurityFilter>) => setDraft({ ...draft, ...patch });

  return (
    <div className="stack">
      <div className="toolbar">
        <p className="muted small grow">
          Sign-ins, refused sign-ins, lockouts and sign-outs of every person of the instance, hash-chained.
          Instance admins only.
        </p>
        {verification.data ? (
          verification.data.ok ? (
            <span className="badge pass" data-testid="security-chain">
              ✓ Chain verified ({verification.data.checked} events)
            </span>
          ) : (
            <span className="badge fail" data-testid="security-chain" title={verification.data.reason ?? ''}>
              ✗ Chain broken at #{verification.data.brokenAt}
            </span>
          )
        ) : null}
      </div>
      <form className="toolbar wrap" onSubmit={submit} aria-label="Filter security events">
        <select aria-label="Type" value={draft.type} onChange={(e) => set({ type: e.target.value })}>
          <option value="">All types</option>
          {SECURITY_EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <input
          type="search"
          className="grow"
          aria-label="Email"
          placeholder="Email"
          value={draft.email}
          onChange={(e) => set({ email: e.target.value })}
        />
        <label className="inline small">
          From
          <input type="datetime-local" value={draft.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label className="inline small">
          To
          <input type="datetime-local" value={draft.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        <button type="submit">Apply</button>
      </form>
      {events.error ? (
        <ProblemView error={events.error} />
      ) : events.isPending ? (
        <p className="muted">Loading security events…</p>
      ) : items.length === 0 ? (
        <Empty title="No security event matches" />
      ) : (
        <>
          <table className="table" aria-label="Security events">
            <thead>
              <tr>
                <th>#</th>
                <th>When</th>
                <th>Type</th>
                <th>Email</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td className="mono">{e.id}</td>
                  <td title={e.at}>{formatTime(e.at)}</td>
                  <td className="mono">{e.type}</td>
                  <td>{e.email ?? '—'}</td>
                  <td className="small">{detailOf(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {events.hasNextPage ? (
            <button type="button" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
              {events.isFetchingNextPage ? 'Loading…' : 'Older events'}
            </button>
          ) : null}
        </>
      )}
    </div>
  );
}
