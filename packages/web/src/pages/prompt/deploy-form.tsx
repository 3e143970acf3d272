import type { Environment, Prompt } from '@promptline/core';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../../api/client.ts';
import { toProblem } from '../../api/problem.ts';
import { requestsApi } from '../../api/requests.ts';
import { ProblemView } from '../../components/states.tsx';
import { RolloutForm } from './rollout-form.tsx';

type Mode = 'single' | 'variants' | 'rollout';

/** Deploy one version, weighted variants, or start a guarded rollout; a request when the policy asks for approvals. */
export function DeployForm({
  prompt,
  env,
  versions,
  onDone,
}: {
  prompt: Prompt;
  env: Environment;
  versions: number[];
  onDone: () => Promise<unknown>;
}) {
  const [mode, setMode] = useState<Mode>('single');
  const [version, setVersion] = useState(versions[0] ?? 1);
  const [rows, setRows] = useState<{ version: number; percent: string }[]>(() => [
    { version: versions[1] ?? versions[0] ?? 1, percent: '90' },
    { version: versions[0] ?? 1, percent: '10' },
  ]);
  const [reason, setReason] = useState('');
  const weights = rows.map((r) => Math.round(Number(r.percent) * 100));
  const sum = weights.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const deploy = useMutation({
    mutationFn: () =>
      api.deploy(
        prompt.name,
        env.name,
        mode === 'single'
          ? { version, ...(reason ? { reason } : {}) }
          : {
              variants: rows.map((r, i) => ({ version: r.version, weight: weights[i] ?? 0 })),
              ...(reason ? { reason } : {}),
            },
      ),
    onSuccess: async () => {
      setReason('');
      await onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    deploy.mutate();
  };
  const body = () =>
    mode === 'single'
      ? { version }
      : { variants: rows.map((r, i) => ({ version: r.version, weight: weights[i] ?? 0 })) };
  const [, navigate] = useLocation();
  const openRequest = useMutation({
    mutationFn: () => requestsApi.create(prompt.name, env.name, { ...body(), reason }),
    onSuccess: (created) => navigate(`/requests/${created.id}`),
  });
  const needsApproval = (env.policy.requiredApprovals ?? 0) > 0;
  const refusedForApproval = deploy.error ? toProblem(deploy.error).code === 'APPROVAL_REQUIRED' : false;
  const versionSelect = (value: number, onChange: (n: number) => void, label: string) => (
    <select aria-label={label} value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {versions.map((n) => (
        <option key={n} value={n}>
          v{n}
        </option>
      ))}
    </select>
  );
  const modes = (
    <fieldset className="segmented" aria-label="Release kind">
      <legend className="sr-only">Release kind</legend>
      <label className={mode === 'single' ? 'active' : ''}>
        <input
          type="radio"
          name={`mode-${env.name}`}
          checked={mode === 'single'}
          onChange={() => setMode('single')}
        />
        One version
      </label>
      <label className={mode === 'variants' ? 'active' : ''}>
        <input
          type="radio"
          name={`mode-${env.name}`}
          checked={mode === 'variants'}
          onChange={() => setMode('variants')}
        />
        Weighted variants
      </label>
      <label className={mode === 'rollout' ? 'active' : ''}>
        <input
          type="radio"
          name={`mode-${env.name}`}
          checked={mode === 'rollout'}
          onChange={() => setMode('rollout')}
        />
        Guarded rollout
      </label>
    </fieldset>
  );
  if (mode === 'rollout')
    return (
      <div className="form">
        {modes}
        <RolloutForm prompt={prompt} env={env} versions={versions} policy={policyText(env)} />
      </div>
    );
  return (
    <form className="form" onSubmit={submit}>
      {modes}
      {mode === 'single' ? (
        <span className="inline-label">
          Version {versionSelect(version, setVersion, 'Version to deploy')}
        </span>
      ) : (
        <div>
          {rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in the editor
            <div className="row" key={i}>
              {versionSelect(
                r.version,
                (n) => setRows(rows.map((x, j) => (j === i ? { ...x, version: n } : x))),
                `Variant ${i + 1} version`,
              )}
              <input
                type="number"
                min="0"
                max="100"
                step="0.01"
                aria-label={`Variant ${i + 1} weight in percent`}
                value={r.percent}
                onChange={(e) =>
                  setRows(rows.map((x, j) => (j === i ? { ...x, percent: e.target.value } : x)))
                }
              />
              %
              <button
                type="button"
                className="ghost"
                aria-label={`Remove variant ${i + 1}`}
                disabled={rows.length <= 1}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            </div>
          ))}
          <div className="row">
            <button
              type="button"
              onClick={() => setRows([...rows, { version: versions[0] ?? 1, percent: '0' }])}
            >
              + Variant
            </button>
            <span className={sum === 10_000 ? 'muted' : 'error-text'}>
              Total {(sum / 100).toFixed(2)}% (must be 100%)
            </span>
          </div>
        </div>
      )}
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why this release" />
      </label>
      <div className="row end">
        <button
          type="submit"
          className="primary"
          disabled={deploy.isPending || (mode === 'variants' && sum !== 10_000)}
        >
          {deploy.isPending ? 'Deploying…' : `Deploy to ${env.name}`}
        </button>
      </div>
      <p className="muted" data-testid="policy-summary">
        {policyText(env)}
      </p>
      {needsApproval || refusedForApproval ? (
        <div className="row end">
          <span className="grow muted">
            {env.name} needs {env.policy.requiredApprovals ?? 1} approval(s): open a request that deploys once
            approved.
          </span>
          <button
            type="button"
            onClick={() => openRequest.mutate()}
            disabled={
              openRequest.isPending || reason.trim() === '' || (mode === 'variants' && sum !== 10_000)
            }
            title={reason.trim() === '' ? 'A request needs a reason' : undefined}
          >
            {openRequest.isPending ? 'Opening…' : 'Request deployment'}
          </button>
        </div>
      ) : null}
      {deploy.error && !refusedForApproval ? <ProblemView error={deploy.error} /> : null}
      {openRequest.error ? <ProblemView error={openRequest.error} /> : null}
    </form>
  );
}

/** The environment's policy in one sentence, so a deploy that will be refused says why beforehand. */
export function policyText(env: Environment): string {
  const p = env.policy;
  const parts: string[] = [];
  if ((p.requiredApprovals ?? 0) > 0)
    parts.push(`${p.requiredApprovals} approval(s)${p.noSelfApproval === false ? '' : ' by someone else'}`);
  if (p.requireEvalPass) parts.push('a passing eval run on the gate dataset');
  if (p.requireRedteamPass)
    parts.push(
      `a red-team run with no finding at ${p.requireRedteamPass.failOn} or above${p.requireRedteamPass.plugins ? ` that covered ${p.requireRedteamPass.plugins.join(', ')}` : ''}`,
    );
  if (p.deployRoles) parts.push(`deploys by ${p.deployRoles.join(' or ')}`);
  if ((p.freeze ?? []).length > 0) parts.push('freeze windows');
  return parts.length === 0
    ? `Policy of ${env.name}: none; editors and admins deploy directly.`
    : `Policy of ${env.name}: ${parts.join(', ')}.`;
}
