import type { RolloutStatus } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { rolloutsApi, STATUS_TEXT } from '../api/rollouts.ts';
import { QueryView } from '../components/states.tsx';
import { useQueryParams } from '../lib/use-query-params.ts';
import { RolloutsTable } from './rollouts-table.tsx';

const STATUSES = Object.keys(STATUS_TEXT) as RolloutStatus[];

/** Every rollout of the project, newest first. URL: `/rollouts?status=`. */
export default function RolloutsPage() {
  const [params, setParams] = useQueryParams();
  const status = STATUSES.find((s) => s === params.status);
  const rollouts = useQuery({
    queryKey: ['rollouts', { status }],
    queryFn: () => rolloutsApi.list({ status }),
    refetchInterval: 5_000,
  });
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Rollouts</h1>
        <select
          aria-label="Status"
          value={status ?? ''}
          onChange={(e) => setParams({ status: e.target.value })}
        >
          <option value="">any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_TEXT[s]}
            </option>
          ))}
        </select>
      </div>
      <p className="muted">
        A guarded rollout moves a candidate version from a small share to 100 % in steps, comparing it with
        the version live before on every check, and rolls back (or pauses) on a proven regression.
      </p>
      <QueryView query={rollouts} loadingLabel="Loading rollouts…">
        {(items) => <RolloutsTable rollouts={items} />}
      </QueryView>
    </div>
  );
}
