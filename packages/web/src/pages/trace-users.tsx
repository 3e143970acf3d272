import type { TraceUsers } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { request } from '../api/client.ts';
import { Empty, QueryView } from '../components/states.tsx';
import { formatTime, formatUsd } from '../lib/format.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

const DAYS = ['1', '7', '30'] as const;

/** End users by cost and volume over the last N days. URL: `/users?days=7`. */
export default function TraceUsersPage() {
  const [params, setParams] = useQueryParams();
  const days = DAYS.includes(params.days as (typeof DAYS)[number]) ? Number(params.days) : 7;
  const users = useQuery({
    queryKey: ['trace-users', days],
    queryFn: () =>
      request<TraceUsers>('/traces/users', {
        query: { from: new Date(Date.now() - days * 86_400_000).toISOString(), limit: 500 },
      }),
  });
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">End users</h1>
        <label>
          Window{' '}
          <select value={String(days)} onChange={(e) => setParams({ days: e.target.value }, true)}>
            {DAYS.map((d) => (
              <option key={d} value={d}>
                last {d} day{d === '1' ? '' : 's'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryView query={users} loadingLabel="Loading users…">
        {(u) =>
          u.items.length === 0 ? (
            <Empty title="No traces with a user id in this window">
              Send <code>userId</code> on spans (or the <code>x-promptline-user</code> gateway header).
            </Empty>
          ) : (
            <table className="table" aria-label="End users">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Traces</th>
                  <th>Errors</th>
                  <th>Tokens in/out</th>
                  <th>Cost</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {u.items.map((x) => (
                  <tr key={x.userId}>
                    <td>
                      <Link href={`/traces?userId=${encodeURIComponent(x.userId)}`}>{x.userId}</Link>
                    </td>
                    <td>{x.traces}</td>
                    <td>{x.errors}</td>
                    <td>
                      {x.usage.input}/{x.usage.output}
                    </td>
                    <td>{formatUsd(x.costUsd)}</td>
                    <td>{formatTime(x.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </div>
  );
}
