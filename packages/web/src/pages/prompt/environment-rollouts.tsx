import type { Environment, Prompt } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { rolloutsApi } from '../../api/rollouts.ts';
import { QueryView } from '../../components/states.tsx';
import { RolloutsTable } from '../rollouts-table.tsx';

/** The prompt's rollouts in one environment, newest first (shown only when there are some). */
export function EnvironmentRollouts({ prompt, env }: { prompt: Prompt; env: Environment }) {
  const rollouts = useQuery({
    queryKey: ['rollouts', { prompt: prompt.name }],
    queryFn: () => rolloutsApi.list({ prompt: prompt.name }),
    refetchInterval: 10_000,
  });
  const mine = rollouts.data?.filter((r) => r.environment === env.name);
  if (rollouts.data && mine?.length === 0) return null;
  return (
    <section className="card" aria-label={`Rollouts in ${env.name}`}>
      <h2>Rollouts in {env.name}</h2>
      <QueryView query={{ ...rollouts, data: mine }} loadingLabel="Loading rollouts…">
        {(items) => <RolloutsTable rollouts={items} showPrompt={false} />}
      </QueryView>
    </section>
  );
}
