import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';

/** The Environment picker of the monitoring views: the project's environments (only `env` while they load). */
export function EnvironmentSelect({ env, onChange }: { env: string; onChange: (env: string) => void }) {
  const envs = useQuery({ queryKey: ['environments'], queryFn: api.listEnvironments });
  return (
    <label>
      Environment{' '}
      <select value={env} onChange={(e) => onChange(e.target.value)}>
        {(envs.data ?? [{ name: env }]).map((e) => (
          <option key={e.name} value={e.name}>
            {e.name}
          </option>
        ))}
      </select>
    </label>
  );
}
