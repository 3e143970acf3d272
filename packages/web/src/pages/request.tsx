import type { DeploymentRequest, EvalRun, Prompt } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.ts';
import { evalsApi } from '../api/evals.ts';
import { requestsApi } from '../api/requests.ts';
import { rolloutsApi } from '../api/rollouts.ts';
import { ReplayButton } from '../components/replay-button.tsx';
import { Empty, ProblemView, QueryView } from '../components/states.tsx';
import { formatTime } from '../lib/format.ts';
import { DiffView } from './prompt/diff-tab.tsx';
import { releaseText } from './requests.tsx';

/** The single version a release serves, when it serves one (a diff needs two versions). */
const single = (variants: { version: number; weight: number }[]) =>
  variants.length === 1 ? variants[0]?.version : undefined;

/** A deployment request: what it would change (diff against what is live), its eval runs, approve / reject. URL: `/requests/{id}`. */
export default function RequestPage({ id }: { id: string }) {
  const requestId = Number(id);
  const request = useQuery({ queryKey: ['request', requestId], queryFn: () => requestsApi.get(requestId) });
  return (
    <QueryView query={request} loadingLabel="Loading the request…">
      {(r) => <RequestView request={r} />}
    </QueryView>
  );
}

function RequestView({ request }: { request: DeploymentRequest }) {
  const prompt = useQuery({
    queryKey: ['prompt', request.prompt],
    queryFn: () => api.getPrompt(request.prompt),
  });
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">
          Request #{request.id}: <Link href={`/prompts/${request.prompt}`}>{request.prompt}</Link> →{' '}
          {request.environment}
        </h1>
        <span className={`badge status-${request.status}`} data-testid="request-status">
          {request.status}
        </span>
      </div>
      <dl className="facts">
        <dt>Release</dt>
        <dd>{releaseText(request)}</dd>
        <dt>Reason</dt>
        <dd>{request.reason}</dd>
        <dt>Author</dt>
        <dd>
          {request.author}, {formatTime(request.createdAt)}
        </dd>
        <dt>Approvals</dt>
        <dd data-testid="request-approvals">
          {request.approvals} of {request.requiredApprovals} needed
        </dd>
        {request.staleReason ? (
          <>
            <dt>Stale</dt>
            <dd>{request.staleReason}</dd>
          </>
        ) : null}
      </dl>
      {request.rollout ? <RequestedRollout request={request} /> : null}
      {request.decisions.length > 0 ? (
        <ul aria-label="Decisions">
          {request.decisions.map((d) => (
            <li key={`${d.user}-${d.at}`}>
              <strong>{d.user}</strong> {d.decision === 'approve' ? 'approved' : 'rejected'}{' '}
              {formatTime(d.at)}
              {d.comment ? `: “${d.comment}”` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {request.gates.redteam.length > 0 ? (
        <ul className="plain" data-testid="request-redteam-gate">
          {request.gates.redteam.map((g) => (
            <li key={g.version}>
              <span className={g.passed ? 'badge pass' : 'badge fail'}>
                red-team gate {g.passed ? 'passed' : 'not met'}
              </span>{' '}
              v{g.version} at {g.failOn} and above
              {g.runId !== null ? (
                <>
                  {' '}
                  (
                  <Link href={`/prompts/${encodeURIComponent(request.prompt)}?tab=redteam&run=${g.runId}`}>
                    run #{g.runId}
                  </Link>
                  )
                </>
              ) : null}
              {g.reason ? `: ${g.reason}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {request.status === 'pending' ? <Decide request={request} /> : null}
      <h2>Against what is live</h2>
      <QueryView query={prompt} loadingLabel="Loading what is live…">
        {(p) => <LiveDiff request={request} prompt={p} />}
      </QueryView>
      <h2>Eval runs of the requested version</h2>
      {request.status === 'pending' && single(request.variants) !== undefined ? (
        <div className="row">
          <span className="grow muted">
            How would it have answered real traffic? A replay runs it on the latest calls next to what is
            live; the run then shows here.
          </span>
          <ReplayButton
            prompt={request.prompt}
            env={request.environment}
            version={single(request.variants) ?? 0}
          />
        </div>
      ) : null}
      <Runs request={request} />
    </div>
  );
}

/** The rollout a request carries: its plan, and once approved the rollout it started. */
function RequestedRollout({ request }: { request: DeploymentRequest }) {
  const plan = request.rollout;
  const started = useQuery({
    queryKey: ['rollouts', { prompt: request.prompt }],
    queryFn: () => rolloutsApi.list({ prompt: request.prompt }),
    enabled: request.status === 'deployed',
  });
  if (!plan) return null;
  const rollout = started.data?.find((r) => r.requestId === request.id);
  const steps = plan.steps?.map((s) => `${s.weight / 100}%`).join(' → ') ?? '5% → 25% → 50% → 100% (default)';
  return (
    <p className="notice" data-testid="request-rollout">
      A guarded rollout: {steps}; guardrails{' '}
      {plan.guardrails.length === 0
        ? 'none'
        : plan.guardrails.map((g) => `${g.metric} (${(g.maxRegression * 100).toFixed(1)}%)`).join(', ')}
      ; on regression {plan.onRegression}. The approval that completes the quorum starts it; its later steps
      and an automatic rollback need no new approval.
      {rollout ? (
        <>
          {' '}
          Started as <Link href={`/rollouts/${rollout.id}`}>rollout #{rollout.id}</Link>.
        </>
      ) : null}
    </p>
  );
}

function LiveDiff({ request, prompt }: { request: DeploymentRequest; prompt: Prompt }) {
  const live = prompt.deployments?.[request.environment];
  const from = live ? single(live.variants) : undefined;
  const to = single(request.variants);
  const diff = useQuery({
    queryKey: ['diff', request.prompt, from, to],
    queryFn: () => api.diff(request.prompt, from ?? 0, to ?? 0),
    enabled: from !== undefined && to !== undefined && from !== to,
  });
  if (!live) return <p data-testid="request-live">Nothing is live in {request.environment} yet.</p>;
  const liveText = `live now: ${releaseText({ variants: live.variants, enabled: live.enabled })}`;
  if (from === undefined || to === undefined)
    return (
      <p data-testid="request-live">
        {liveText} (weighted releases: compare versions on the prompt's Diff tab)
      </p>
    );
  if (from === to) return <p data-testid="request-live">{liveText}: the same version.</p>;
  return (
    <div>
      <p data-testid="request-live">{liveText}</p>
      <QueryView query={diff} loadingLabel="Loading the diff…">
        {(d) => <DiffView diff={d} view="unified" />}
      </QueryView>
    </div>
  );
}

function Runs({ request }: { request: DeploymentRequest }) {
  const versions = new Set(request.variants.map((v) => v.version));
  const runs = useQuery({
    queryKey: ['eval-runs', request.prompt],
    queryFn: () => evalsApi.listRuns({ prompt: request.prompt }),
  });
  return (
    <QueryView query={runs} loadingLabel="Loading eval runs…">
      {(all) => {
        const mine = all.filter((run: EvalRun) => run.versions.some((v) => versions.has(v)));
        if (mine.length === 0) return <Empty title="No eval run covers the requested version" />;
        return (
          <table className="table" aria-label="Eval runs of the request">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Dataset</th>
                <th>Verdict</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {mine.map((run) => {
                const verdicts = run.verdicts.filter((v) => v.version !== null && versions.has(v.version));
                return (
                  <tr key={run.id}>
                    <td>
                      <Link href={`/evals/${run.id}`}>#{run.id}</Link>
                    </td>
                    <td>{run.status}</td>
                    <td>{run.dataset ? `${run.dataset.name} r${run.dataset.revision}` : '—'}</td>
                    <td>
                      {verdicts.length === 0
                        ? '—'
                        : verdicts
                            .map((v) =>
                              v.thresholdsMet
                                ? `v${v.version} met the thresholds`
                                : `v${v.version}: ${v.reasons.join('; ')}`,
                            )
                            .join(' · ')}
                    </td>
                    <td>{run.finishedAt ? formatTime(run.finishedAt) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        );
      }}
    </QueryView>
  );
}

function Decide({ request }: { request: DeploymentRequest }) {
  const [comment, setComment] = useState('');
  const queryClient = useQueryClient();
  const decide = useMutation({
    mutationFn: (action: 'approve' | 'reject' | 'cancel') => requestsApi.decide(request.id, action, comment),
    onSuccess: async (next) => {
      setComment('');
      queryClient.setQueryData(['request', request.id], next);
      await queryClient.invalidateQueries({ queryKey: ['requests'] });
      await queryClient.invalidateQueries({ queryKey: ['prompt', request.prompt] });
    },
  });
  return (
    <form className="form" aria-label="Review" onSubmit={(e) => e.preventDefault()}>
      <label>
        Comment
        <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Optional" />
      </label>
      <div className="row end">
        <button type="button" onClick={() => decide.mutate('cancel')} disabled={decide.isPending}>
          Cancel request
        </button>
        <button type="button" onClick={() => decide.mutate('reject')} disabled={decide.isPending}>
          Reject
        </button>
        <button
          type="button"
          className="primary"
          onClick={() => decide.mutate('approve')}
          disabled={decide.isPending}
        >
          Approve
        </button>
      </div>
      {decide.error ? <ProblemView error={decide.error} /> : null}
    </form>
  );
}
