import type { GuardrailState, Rollout, RolloutChecks } from '@promptline/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { canSteer, type RolloutAction, rolloutsApi, STATUS_TEXT, sessionApi } from '../api/rollouts.ts';
import { IntervalChart } from '../components/interval-chart.tsx';
import { ProblemView, QueryView } from '../components/states.tsx';
import { formatTime } from '../lib/format.ts';
import { stepText } from './rollouts-table.tsx';

const ACTIVE = new Set(['running', 'paused']);

/**
 * A guarded rollout: where it stands (step, its progress in time and samples), each guardrail's
 * interval over time with its evidence, its events, and pause / resume / advance / abort for
 * editors. Polls while the rollout is active. URL: `/rollouts/{id}`.
 */
export default function RolloutPage({ id }: { id: string }) {
  const rolloutId = Number(id);
  const rollout = useQuery({
    queryKey: ['rollout', rolloutId],
    queryFn: () => rolloutsApi.get(rolloutId),
    refetchInterval: (q) => (q.state.data && ACTIVE.has(q.state.data.status) ? 2_000 : false),
  });
  // Read again whenever the rollout was checked or changed status, and only then.
  const checks = useQuery({
    queryKey: ['rollout-checks', rolloutId, rollout.data?.lastCheckAt, rollout.data?.status],
    queryFn: () => rolloutsApi.checks(rolloutId),
    placeholderData: keepPreviousData,
    enabled: rollout.data !== undefined,
  });
  return (
    <QueryView query={rollout} loadingLabel="Loading the rollout…">
      {(r) => <RolloutView rollout={r} checks={checks.data} />}
    </QueryView>
  );
}

function RolloutView({ rollout: r, checks }: { rollout: Rollout; checks: RolloutChecks | undefined }) {
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">
          Rollout #{r.id}:{' '}
          <Link href={`/prompts/${encodeURIComponent(r.prompt)}?tab=deployments&env=${r.environment}`}>
            {r.prompt}
          </Link>{' '}
          → {r.environment}
        </h1>
        <span className={`badge rollout-${r.status}`} data-testid="rollout-status">
          {STATUS_TEXT[r.status]}
        </span>
      </div>
      <dl className="facts">
        <dt>Candidate</dt>
        <dd>
          v{r.candidate} against v{r.control} (control: what was live before)
        </dd>
        <dt>Step</dt>
        <dd data-testid="rollout-step">{stepText(r)}</dd>
        <dt>Plan</dt>
        <dd>
          {r.steps
            .map((s) => `${s.weight / 100}%${s.durationSeconds ? ` for ${duration(s.durationSeconds)}` : ''}`)
            .join(' → ')}
          ; at least {r.minSamples} calls per arm a step; on regression: {r.onRegression}
        </dd>
        <dt>Started</dt>
        <dd>
          {formatTime(r.startedAt)} by {r.createdBy}
          {r.lastCheckAt ? `; last checked ${formatTime(r.lastCheckAt)}` : ''}
        </dd>
        {r.reason ? (
          <>
            <dt>Why</dt>
            <dd data-testid="rollout-reason">{r.reason}</dd>
          </>
        ) : null}
      </dl>
      {ACTIVE.has(r.status) ? <StepProgress rollout={r} /> : null}
      <Actions rollout={r} />
      <h2>Guardrails</h2>
      {r.guardrails.length === 0 ? (
        <p className="muted">No guardrails: the rollout advances on time and samples alone.</p>
      ) : (
        <div className="guardrails">
          {r.guardrails.map((g) => (
            <Guardrail
              key={g.metric}
              state={g}
              points={checks?.guardrails.find((c) => c.metric === g.metric)?.points ?? []}
            />
          ))}
        </div>
      )}
      <h2>Events</h2>
      <ol className="plain events" aria-label="Rollout events">
        {r.events.map((e) => (
          <li key={`${e.at}-${e.kind}-${e.message}`}>
            <span className="muted">{formatTime(e.at)}</span> <strong>{e.kind}</strong> {e.message}
          </li>
        ))}
      </ol>
    </div>
  );
}

function duration(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** How far the current step is in time and in samples (both must be met to advance). */
function StepProgress({ rollout: r }: { rollout: Rollout }) {
  const elapsed = Math.max(0, (Date.now() - Date.parse(r.currentStep.startedAt)) / 1000);
  const need = r.currentStep.durationSeconds;
  const samples = Math.min(
    ...r.guardrails.map((g) => Math.min(g.n.control, g.n.candidate)),
    r.guardrails.length === 0 ? r.minSamples : Number.POSITIVE_INFINITY,
  );
  return (
    <div className="row wrap step-progress" data-testid="step-progress">
      <label className="inline">
        Time {duration(Math.round(Math.min(elapsed, need)))} of {duration(need)}
        <progress max={Math.max(need, 1)} value={Math.min(elapsed, need)} />
      </label>
      <label className="inline">
        Samples {samples} of {r.minSamples} per arm
        <progress max={Math.max(r.minSamples, 1)} value={Math.min(samples, r.minSamples)} />
      </label>
    </div>
  );
}

function Guardrail({
  state: g,
  points,
}: {
  state: GuardrailState;
  points: RolloutChecks['guardrails'][number]['points'];
}) {
  const tolerance = g.metric.startsWith('alert:')
    ? ''
    : ` (tolerance ${(g.maxRegression * 100).toFixed(1)}% worse)`;
  return (
    <section className="card guardrail" aria-label={`Guardrail ${g.metric}`}>
      <h3>
        {g.metric}
        <span className="muted">{tolerance}</span>{' '}
        <span className={`badge verdict-${g.verdict}`} data-testid={`verdict-${g.metric}`}>
          {g.verdict}
        </span>
      </h3>
      <IntervalChart points={points} label={g.metric} />
      <p className="evidence" data-testid={`evidence-${g.metric}`}>
        {g.evidence}
      </p>
      <p className="muted">
        n = {g.n.candidate} candidate / {g.n.control} control · {points.length} recorded check(s)
      </p>
    </section>
  );
}

const LABELS: Record<RolloutAction, string> = {
  pause: 'Pause',
  resume: 'Resume',
  advance: 'Advance to next step',
  abort: 'Abort (back to control)',
};

function Actions({ rollout: r }: { rollout: Rollout }) {
  const role = useQuery({ queryKey: ['session-role'], queryFn: sessionApi.role, staleTime: 60_000 });
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const act = useMutation({
    mutationFn: (action: RolloutAction) => rolloutsApi.act(r.id, action, reason.trim() || undefined),
    onSuccess: async (next) => {
      setReason('');
      queryClient.setQueryData(['rollout', r.id], next);
      await queryClient.invalidateQueries({ queryKey: ['rollouts'] });
      await queryClient.invalidateQueries({ queryKey: ['prompt', r.prompt] });
    },
  });
  if (!ACTIVE.has(r.status)) return null;
  if (!canSteer(role.data)) {
    return role.data ? (
      <p className="muted" data-testid="rollout-readonly">
        Your role ({role.data}) can follow this rollout; editors and admins steer it.
      </p>
    ) : null;
  }
  const allowed: RolloutAction[] =
    r.status === 'running' ? ['pause', 'advance', 'abort'] : ['resume', 'abort'];
  return (
    <form className="form" aria-label="Steer the rollout" onSubmit={(e) => e.preventDefault()}>
      <div className="row wrap">
        <input
          className="grow"
          aria-label="Reason for the action"
          placeholder="Reason (optional)"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        {allowed.map((a) => (
          <button
            key={a}
            type="button"
            className={a === 'abort' ? 'danger' : a === 'advance' || a === 'resume' ? 'primary' : ''}
            onClick={() => act.mutate(a)}
            disabled={act.isPending}
          >
            {LABELS[a]}
          </button>
        ))}
      </div>
      {act.error ? <ProblemView error={act.error} /> : null}
    </form>
  );
}
