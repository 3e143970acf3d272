import type { DeploymentRequest } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { type RequestStatus, requestsApi } from '../api/requests.ts';
import { Empty, QueryView } from '../components/states.tsx';
import { formatAgo } from '../lib/format.ts';
import { describeRelease } from '../lib/registry-filter.ts';
import { useQueryParams } from '../lib/use-query-params.ts';

const STATUSES: RequestStatus[] = ['pending', 'deployed', 'rejected', 'cancelled', 'stale'];

/** What a request asks to serve, as the deployments tab writes it; a switched-off release keeps its versions. */
export function releaseText(request: Pick<DeploymentRequest, 'variants' | 'enabled'>): string {
  const text = describeRelease({ variants: request.variants, enabled: true });
  return request.enabled ? text : `${text} (off)`;
}

/** The review inbox: deployment requests, pending first. URL: `/requests?status=`. */
export default function RequestsPage() {
  const [params, setParams] = useQueryParams();
  const status = (params.status as RequestStatus | undefined) ?? 'pending';
  const requests = useQuery({
    queryKey: ['requests', status],
    queryFn: () => requestsApi.list({ status }),
    refetchInterval: 10_000,
  });
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Deployment requests</h1>
        <select aria-label="Status" value={status} onChange={(e) => setParams({ status: e.target.value })}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <p className="muted">
        Deploys to an environment whose policy needs approvals wait here. A reviewer other than the author
        approves or rejects; the approval that meets the policy deploys.
      </p>
      <QueryView query={requests} loadingLabel="Loading requests…">
        {(items) =>
          items.length === 0 ? (
            <Empty title={status === 'pending' ? 'Nothing waits for review' : `No ${status} requests`} />
          ) : (
            <table className="table" aria-label="Deployment requests">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Prompt</th>
                  <th>Environment</th>
                  <th>Release</th>
                  <th>Approvals</th>
                  <th>Author</th>
                  <th>Opened</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link href={`/requests/${r.id}`}>#{r.id}</Link>
                    </td>
                    <td>{r.prompt}</td>
                    <td>{r.environment}</td>
                    <td>{releaseText(r)}</td>
                    <td>
                      {r.approvals} / {r.requiredApprovals}
                    </td>
                    <td>{r.author}</td>
                    <td title={r.createdAt}>{formatAgo(r.createdAt)}</td>
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
