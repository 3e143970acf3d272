import type { AssertionSpec, OnlineEvalRule } from '@promptline/core';
import { DETERMINISTIC_ASSERTIONS, MODEL_GRADED_ASSERTIONS } from '@promptline/core/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client.ts';
import { onlineEvalsApi } from '../../api/online-evals.ts';
import { canSteer, sessionApi } from '../../api/rollouts.ts';
import { FormDialog } from '../../components/dialog.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { formatUsd } from '../../lib/format.ts';

/** What the assertion picker offers: every type the server grades online (not select-best, no python). */
const TYPES = [
  ...DETERMINISTIC_ASSERTIONS,
  'javascript',
  ...MODEL_GRADED_ASSERTIONS.filter((t) => t !== 'select-best'),
];
const JUDGED: readonly string[] = MODEL_GRADED_ASSERTIONS;

/** One assertion as typed: the value as text (JSON when it starts with `[` or `{`). */
interface AssertionFields {
  type: string;
  value: string;
  threshold: string;
  metric: string;
}

export interface RuleFields {
  name: string;
  environment: string;
  version: string;
  ratePercent: string;
  assertions: AssertionFields[];
  judgeProvider: string;
  judgeModel: string;
  budget: string;
  enabled: boolean;
}

const emptyAssertion = (): AssertionFields => ({ type: 'contains', value: '', threshold: '', metric: '' });

function toFields(rule: OnlineEvalRule | null, env: string): RuleFields {
  if (!rule) {
    return {
      name: '',
      environment: env,
      version: '',
      ratePercent: '10',
      assertions: [emptyAssertion()],
      judgeProvider: 'mock',
      judgeModel: 'judge',
      budget: '1',
      enabled: true,
    };
  }
  return {
    name: rule.name,
    environment: rule.environment,
    version: rule.version === null ? '' : String(rule.version),
    ratePercent: String(Math.round(rule.samplingRate * 10_000) / 100),
    assertions: rule.assertions.map((a) => ({
      type: a.type,
      value: a.value === undefined ? '' : typeof a.value === 'string' ? a.value : JSON.stringify(a.value),
      threshold: a.threshold === undefined ? '' : String(a.threshold),
      metric: a.metric ?? '',
    })),
    judgeProvider: rule.judge?.provider ?? 'mock',
    judgeModel: rule.judge?.model ?? 'judge',
    budget: String(rule.dailyBudgetUsd),
    enabled: rule.enabled,
  };
}

function parseValue(text: string): unknown {
  const t = text.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t);
    } catch {
      // Not JSON after all: the value is the text as typed.
      return text;
    }
  }
  return text;
}

/** The request a form describes (the server checks it and names any field it refuses). */
export function toRequest(f: RuleFields) {
  const assertions: AssertionSpec[] = f.assertions.map((a) => ({
    type: a.type,
    ...(a.value.trim() === '' ? {} : { value: parseValue(a.value) }),
    ...(a.threshold.trim() === '' ? {} : { threshold: Number(a.threshold) }),
    ...(a.metric.trim() === '' ? {} : { metric: a.metric.trim() }),
  }));
  const judged = assertions.some((a) => JUDGED.includes(a.type.replace(/^not-/, '')));
  return {
    name: f.name.trim(),
    environment: f.environment,
    version: f.version.trim() === '' ? null : Number(f.version),
    samplingRate: Number(f.ratePercent) / 100,
    assertions,
    judge: judged ? { provider: f.judgeProvider.trim(), model: f.judgeModel.trim() } : null,
    dailyBudgetUsd: Number(f.budget),
    enabled: f.enabled,
  };
}

/**
 * The prompt's online evaluations on its Monitoring tab: each rule with today's counters and its
 * cost against the budget, an enable switch, and the form to create or edit one.
 */
export function OnlineEvalsCard({ prompt, env }: { prompt: string; env: string }) {
  const queryClient = useQueryClient();
  const rules = useQuery({
    queryKey: ['online-evals', prompt],
    queryFn: () => onlineEvalsApi.list(prompt),
    refetchInterval: 5_000,
  });
  const role = useQuery({ queryKey: ['session-role'], queryFn: sessionApi.role, staleTime: 60_000 });
  const envs = useQuery({ queryKey: ['environments'], queryFn: api.listEnvironments });
  const [editing, setEditing] = useState<OnlineEvalRule | 'new' | null>(null);
  const toggle = useMutation({
    mutationFn: (rule: OnlineEvalRule) => onlineEvalsApi.update(rule.id, { enabled: !rule.enabled }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['online-evals', prompt] }),
  });
  const writer = canSteer(role.data);
  return (
    <section className="card stack" aria-label="Online evaluations">
      <div className="row">
        <h2>Online evaluations</h2>
        {writer ? (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New online evaluation
          </button>
        ) : null}
      </div>
      <QueryView query={rules} loadingLabel="Loading online evaluations…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No online evaluations">
              Grade a share of this prompt’s production calls with assertions or an LLM judge; the results are
              scores in the charts above.
            </Empty>
          ) : (
            <table className="table" aria-label="Online evaluation rules">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Environment</th>
                  <th>Sampling</th>
                  <th>Sampled</th>
                  <th>Evaluated</th>
                  <th>Failed</th>
                  <th>Skipped (budget)</th>
                  <th>Cost today</th>
                  <th>Enabled</th>
                  {writer ? <th /> : null}
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id} data-testid={`online-eval-${r.name}`}>
                    <td title={r.lastError ? `Last error: ${r.lastError.message}` : undefined}>
                      {r.name}
                      {r.lastError ? <span className="badge small">errors {r.today.errors}</span> : null}
                    </td>
                    <td>
                      {r.environment}
                      {r.version === null ? '' : ` · v${r.version}`}
                    </td>
                    <td>{`${Math.round(r.samplingRate * 10_000) / 100} %`}</td>
                    <td>{r.today.sampled}</td>
                    <td>{r.today.evaluated}</td>
                    <td>{r.today.failed}</td>
                    <td>{r.today.skippedBudget}</td>
                    <td>
                      {formatUsd(r.today.costUsd)} / {formatUsd(r.dailyBudgetUsd)}
                    </td>
                    <td>
                      <label className="inline">
                        <input
                          type="checkbox"
                          // Shows the switch as asked while the change is on its way.
                          checked={toggle.isPending && toggle.variables?.id === r.id ? !r.enabled : r.enabled}
                          disabled={!writer || toggle.isPending}
                          onChange={() => toggle.mutate(r)}
                          aria-label={`${r.name} enabled`}
                        />
                        {r.enabled ? 'on' : 'off'}
                      </label>
                    </td>
                    {writer ? (
                      <td>
                        <button type="button" onClick={() => setEditing(r)}>
                          Edit
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      {toggle.error ? <ProblemView error={toggle.error} /> : null}
      {editing ? (
        <RuleDialog
          prompt={prompt}
          rule={editing === 'new' ? null : editing}
          env={env}
          environments={(envs.data ?? []).map((e) => e.name)}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </section>
  );
}

function RuleDialog({
  prompt,
  rule,
  env,
  environments,
  onClose,
}: {
  prompt: string;
  rule: OnlineEvalRule | null;
  env: string;
  environments: string[];
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<RuleFields>(() => toFields(rule, env));
  const set = (patch: Partial<RuleFields>) => setFields({ ...fields, ...patch });
  const setAssertion = (i: number, patch: Partial<AssertionFields>) =>
    set({ assertions: fields.assertions.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  const save = useMutation({
    mutationFn: () =>
      rule
        ? onlineEvalsApi.update(rule.id, toRequest(fields))
        : onlineEvalsApi.create(prompt, toRequest(fields)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['online-evals', prompt] }),
  });
  const judged = fields.assertions.some((a) => JUDGED.includes(a.type.replace(/^not-/, '')));
  const envNames = environments.includes(fields.environment)
    ? environments
    : [fields.environment, ...environments];
  return (
    <FormDialog
      title={rule ? `Edit online evaluation “${rule.name}”` : 'New online evaluation'}
      label="Online evaluation"
      wide
      submitLabel={rule ? 'Save changes' : 'Create'}
      pending={save.isPending}
      error={save.error}
      onSubmit={(close) => save.mutate(undefined, { onSuccess: close })}
      onClose={onClose}
    >
      <div className="row wrap">
        <label>
          Rule name
          <input
            value={fields.name}
            onChange={(e) => set({ name: e.target.value })}
            placeholder="quality"
            required
          />
        </label>
        <label>
          Environment
          <select value={fields.environment} onChange={(e) => set({ environment: e.target.value })}>
            {envNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version (empty: all)
          <input
            type="number"
            min={1}
            value={fields.version}
            onChange={(e) => set({ version: e.target.value })}
            placeholder="all"
          />
        </label>
        <label>
          Sampling rate (%)
          <input
            type="number"
            min={0}
            max={100}
            step="any"
            value={fields.ratePercent}
            onChange={(e) => set({ ratePercent: e.target.value })}
          />
        </label>
      </div>
      <fieldset className="stack">
        <legend>Assertions</legend>
        {fields.assertions.map((a, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
          <div className="row wrap" key={i} data-testid="assertion-row">
            <label>
              Type
              <select value={a.type} onChange={(e) => setAssertion(i, { type: e.target.value })}>
                {TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            <label className="assertion-value">
              Value
              <input
                value={a.value}
                onChange={(e) => setAssertion(i, { value: e.target.value })}
                placeholder={JUDGED.includes(a.type) ? 'the rubric, e.g. Answers politely' : 'e.g. Paris'}
              />
            </label>
            <label>
              Threshold
              <input
                type="number"
                step="any"
                value={a.threshold}
                onChange={(e) => setAssertion(i, { threshold: e.target.value })}
              />
            </label>
            <label>
              Score name
              <input
                value={a.metric}
                onChange={(e) => setAssertion(i, { metric: e.target.value })}
                placeholder={`${fields.name || 'rule'}.${a.type}`}
              />
            </label>
            <button
              type="button"
              className="align-end"
              disabled={fields.assertions.length === 1}
              onClick={() => set({ assertions: fields.assertions.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
          </div>
        ))}
        <div>
          <button type="button" onClick={() => set({ assertions: [...fields.assertions, emptyAssertion()] })}>
            Add assertion
          </button>
        </div>
      </fieldset>
      <div className="row wrap">
        <label>
          Judge provider
          <input
            value={fields.judgeProvider}
            onChange={(e) => set({ judgeProvider: e.target.value })}
            disabled={!judged}
          />
        </label>
        <label>
          Judge model
          <input
            value={fields.judgeModel}
            onChange={(e) => set({ judgeModel: e.target.value })}
            disabled={!judged}
          />
        </label>
        <label>
          Daily judge budget (USD)
          <input
            type="number"
            min={0}
            step="any"
            value={fields.budget}
            onChange={(e) => set({ budget: e.target.value })}
          />
        </label>
        <label className="inline align-end">
          <input
            type="checkbox"
            checked={fields.enabled}
            onChange={(e) => set({ enabled: e.target.checked })}
          />
          Enabled
        </label>
      </div>
      <p className="muted small">
        Spans are chosen by a hash of their id, so a resent batch is never graded twice. Each assertion writes
        a score (source eval) on the span; the judge answers model-graded ones and stops for the day at the
        budget.
      </p>
    </FormDialog>
  );
}
