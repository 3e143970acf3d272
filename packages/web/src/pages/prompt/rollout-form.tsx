import type { Environment, Prompt, RolloutGuardrail, RolloutStep } from '@promptline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { toProblem } from '../../api/problem.ts';
import { requestsApi } from '../../api/requests.ts';
import { rolloutsApi } from '../../api/rollouts.ts';
import { ReplayButton } from '../../components/replay-button.tsx';
import { ProblemView } from '../../components/states.tsx';

const METRICS = [
  { metric: 'errorRate', label: 'Error rate', tolerance: '5' },
  { metric: 'latencyP95', label: 'Latency p95', tolerance: '20' },
  { metric: 'costPerCall', label: 'Cost per call', tolerance: '20' },
  // Spans checked against the version's output contract (docs/contracts.md); no data, no verdict.
  { metric: 'contractViolationRate', label: 'Contract violation rate', tolerance: '5' },
] as const;

/** `5, 25, 50, 100` with a duration per step → the plan's steps; null with the reason when it does not parse. */
export function parseSteps(text: string, minutes: number): { steps: RolloutStep[] } | { error: string } {
  const parts = text
    .split(/[,\s→>]+/)
    .map((p) => p.replace('%', '').trim())
    .filter(Boolean);
  if (parts.length === 0) return { error: 'List the candidate shares in percent, e.g. 5, 25, 50, 100.' };
  const steps: RolloutStep[] = [];
  for (const p of parts) {
    const pct = Number(p);
    if (!Number.isFinite(pct) || pct <= 0 || pct > 100)
      return { error: `“${p}” is not a share between 0 and 100.` };
    const weight = Math.round(pct * 100);
    steps.push({ weight, durationSeconds: weight >= 10_000 ? 0 : Math.round(minutes * 60) });
  }
  return { steps };
}

/** Starts a guarded rollout of a version in an environment; the rollout page follows it. */
export function RolloutForm({
  prompt,
  env,
  versions,
  policy,
}: {
  prompt: Prompt;
  env: Environment;
  versions: number[];
  policy: string;
}) {
  const live = prompt.deployments?.[env.name];
  const control = live?.variants.length === 1 ? live.variants[0]?.version : undefined;
  const [version, setVersion] = useState(versions.find((v) => v !== control) ?? versions[0] ?? 1);
  const [stepsText, setStepsText] = useState('5, 25, 50, 100');
  const [minutes, setMinutes] = useState('10');
  const [minSamples, setMinSamples] = useState('100');
  const [onRegression, setOnRegression] = useState<'rollback' | 'pause'>('rollback');
  const [guards, setGuards] = useState<Record<string, { on: boolean; tolerance: string }>>(() =>
    Object.fromEntries(
      METRICS.map((m) => [m.metric, { on: m.metric === 'errorRate', tolerance: m.tolerance }]),
    ),
  );
  const [reason, setReason] = useState('');
  const parsed = parseSteps(stepsText, Number(minutes) || 0);
  const guardrails: RolloutGuardrail[] = METRICS.filter((m) => guards[m.metric]?.on).map((m) => ({
    metric: m.metric,
    maxRegression: (Number(guards[m.metric]?.tolerance) || 0) / 100,
  }));
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const plan = {
    ...('steps' in parsed ? { steps: parsed.steps } : {}),
    guardrails,
    minSamples: Number(minSamples) || 0,
    onRegression,
  };
  const start = useMutation({
    mutationFn: () =>
      rolloutsApi.start(prompt.name, {
        env: env.name,
        version,
        ...plan,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      }),
    onSuccess: async (r) => {
      await queryClient.invalidateQueries({ queryKey: ['prompt', prompt.name] });
      navigate(`/rollouts/${r.id}`);
    },
  });
  // Where the policy needs approvals, a request carries the plan; the approval that completes the quorum starts it.
  const openRequest = useMutation({
    mutationFn: () =>
      requestsApi.create(prompt.name, env.name, { version, reason: reason.trim(), rollout: plan }),
    onSuccess: (created) => navigate(`/requests/${created.id}`),
  });
  const needsApproval =
    (env.policy.requiredApprovals ?? 0) > 0 ||
    (start.error ? toProblem(start.error).code === 'APPROVAL_REQUIRED' : false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };
  return (
    <form className="form" aria-label="Guarded rollout" onSubmit={submit}>
      <p className="muted">
        {control === undefined
          ? `A rollout needs one version live in ${env.name} as control; deploy one first.`
          : `Control: v${control}, live now. The candidate grows step by step while every check compares it with control; a proven regression beyond the tolerance rolls back (or pauses).`}
      </p>
      <div className="row wrap">
        <label className="inline">
          Candidate
          <select
            aria-label="Candidate version"
            value={version}
            onChange={(e) => setVersion(Number(e.target.value))}
          >
            {versions.map((n) => (
              <option key={n} value={n}>
                v{n}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Steps (%)
          <input
            aria-label="Steps in percent"
            value={stepsText}
            onChange={(e) => setStepsText(e.target.value)}
          />
        </label>
        <label className="inline">
          Minutes per step
          <input
            type="number"
            min="0"
            aria-label="Minutes per step"
            value={minutes}
            onChange={(e) => setMinutes(e.target.value)}
          />
        </label>
        <label className="inline">
          Calls per arm
          <input
            type="number"
            min="0"
            aria-label="Minimum calls per arm"
            value={minSamples}
            onChange={(e) => setMinSamples(e.target.value)}
          />
        </label>
      </div>
      {'error' in parsed ? <p className="error-text">{parsed.error}</p> : null}
      <fieldset className="guardrail-picks">
        <legend>Guardrails (tolerance: % worse than control)</legend>
        {METRICS.map((m) => (
          <div className="row" key={m.metric}>
            <label className="inline">
              <input
                type="checkbox"
                checked={guards[m.metric]?.on ?? false}
                onChange={(e) =>
                  setGuards({
                    ...guards,
                    [m.metric]: { tolerance: m.tolerance, ...guards[m.metric], on: e.target.checked },
                  })
                }
              />
              {m.label}
            </label>
            <input
              type="number"
              min="0"
              step="0.1"
              aria-label={`${m.label} tolerance in percent`}
              value={guards[m.metric]?.tolerance ?? m.tolerance}
              disabled={!guards[m.metric]?.on}
              onChange={(e) =>
                setGuards({
                  ...guards,
                  [m.metric]: { on: true, ...guards[m.metric], tolerance: e.target.value },
                })
              }
            />
            %
          </div>
        ))}
      </fieldset>
      <label className="inline">
        On a regression
        <select
          aria-label="On a regression"
          value={onRegression}
          onChange={(e) => setOnRegression(e.target.value === 'pause' ? 'pause' : 'rollback')}
        >
          <option value="rollback">roll back to control</option>
          <option value="pause">pause</option>
        </select>
      </label>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why this rollout" />
      </label>
      <div className="row end">
        {control !== undefined && version !== control ? (
          <ReplayButton prompt={prompt.name} env={env.name} version={version} />
        ) : null}
        <button
          type="submit"
          className="primary"
          disabled={start.isPending || 'error' in parsed || control === undefined}
        >
          {start.isPending ? 'Starting…' : `Start rollout in ${env.name}`}
        </button>
      </div>
      <p className="muted">{policy}</p>
      {needsApproval ? (
        <div className="row end">
          <span className="grow muted">
            {env.name} needs approvals: open a request that starts this rollout once approved (its later steps
            and an automatic rollback need no new approval).
          </span>
          <button
            type="button"
            onClick={() => openRequest.mutate()}
            disabled={
              openRequest.isPending || reason.trim() === '' || 'error' in parsed || control === undefined
            }
            title={reason.trim() === '' ? 'A request needs a reason' : undefined}
          >
            {openRequest.isPending ? 'Opening…' : 'Request rollout'}
          </button>
        </div>
      ) : null}
      {start.error && !needsApproval ? <ProblemView error={start.error} /> : null}
      {openRequest.error ? <ProblemView error={openRequest.error} /> : null}
    </form>
  );
}
