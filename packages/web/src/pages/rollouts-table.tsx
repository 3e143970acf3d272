import type { Rollout } from '@promptline/core';
import { Link } from 'wouter';
import { STATUS_TEXT } from '../api/rollouts.ts';
import { Empty } from '../components/states.tsx';
import { formatAgo } from '../lib/format.ts';

const pct = (bp: number) => `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

/** Where a rollout stands in one phrase: `step 2 of 4 (25%)`. */
export function stepText(r: Pick<Rollout, 'step' | 'steps' | 'currentStep'>): string {
  return `step ${r.step + 1} of ${r.steps.length} (${pct(r.currentStep.weight)})`;
}

/** Rollouts, newest first, each linking to its page. */
export function RolloutsTable({
  rollouts,
  showPrompt = true,
}: {
  rollouts: Rollout[];
  showPrompt?: boolean;
}) {
  if (rollouts.length === 0)
    return (
      <Empty title="No rollouts">
        Start one from a prompt's Deployments tab (“Guarded rollout”), or run{' '}
        <code>npx promptline rollouts start</code>.
      </Empty>
    );
  return (
    <table className="table" aria-label="Rollouts">
      <thead>
        <tr>
          <th>Rollout</th>
          {showPrompt ? <th>Prompt</th> : null}
          <th>Environment</th>
          <th>Candidate</th>
          <th>Status</th>
          <th>Step</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {rollouts.map((r) => (
          <tr key={r.id}>
            <td>
              <Link href={`/rollouts/${r.id}`}>#{r.id}</Link>
            </td>
            {showPrompt ? (
              <td>
                <Link href={`/prompts/${encodeURIComponent(r.prompt)}`}>{r.prompt}</Link>
              </td>
            ) : null}
            <td>{r.environment}</td>
            <td>
              v{r.candidate} <span className="muted">against v{r.control}</span>
            </td>
            <td>
              <span className={`badge rollout-${r.status}`}>{STATUS_TEXT[r.status]}</span>
            </td>
            <td>{stepText(r)}</td>
            <td title={r.startedAt}>{formatAgo(r.startedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
