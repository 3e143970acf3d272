import { useMutation } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import { replaysApi } from '../api/rollouts.ts';
import { ProblemView } from './states.tsx';

/**
 * "Replay the last 100 calls": runs `version` on the latest production inputs of what `env`
 * serves, next to it, and opens the eval run (outputs side by side, scores, latency, cost).
 */
export function ReplayButton({ prompt, env, version }: { prompt: string; env: string; version: number }) {
  const [, navigate] = useLocation();
  const replay = useMutation({
    mutationFn: () => replaysApi.start(prompt, { env, version, last: 100 }),
    onSuccess: (r) => navigate(`/evals/${r.run.id}`),
  });
  return (
    <span className="replay">
      <button
        type="button"
        onClick={() => replay.mutate()}
        disabled={replay.isPending}
        title={`Run v${version} on the last 100 calls ${env} served, next to the live version`}
      >
        {replay.isPending ? 'Replaying…' : `Replay v${version} on the last 100 ${env} calls`}
      </button>
      {replay.error ? <ProblemView error={replay.error} /> : null}
    </span>
  );
}
