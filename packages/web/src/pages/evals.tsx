import { useQuery } from '@tanstack/react-query';
import { evalsApi } from '../api/evals.ts';
import { QueryView } from '../components/states.tsx';
import { useQueryParams } from '../lib/use-query-params.ts';
import { EvalRunsTable } from './eval-runs-table.tsx';

/** Every eval run; `?prompt=` narrows to one prompt. URL: `/evals`. */
export default function EvalsPage() {
  const [params, setParams] = useQueryParams();
  const runs = useQuery({
    queryKey: ['eval-runs', params.prompt ?? ''],
    queryFn: () => evalsApi.listRuns(params.prompt ? { prompt: params.prompt } : {}),
    refetchInterval: (q) =>
      q.state.data?.some((r) => r.status === 'running' || r.status === 'queued') ? 2000 : false,
  });
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Eval runs</h1>
        <input
          type="search"
          aria-label="Filter by prompt"
          placeholder="Prompt name"
          defaultValue={params.prompt ?? ''}
          onChange={(e) => setParams({ prompt: e.target.value }, true)}
        />
      </div>
      <QueryView query={runs} loadingLabel="Loading eval runs…">
        {(items) => <EvalRunsTable runs={items} />}
      </QueryView>
    </div>
  );
}
