import type { AlertCondition, AlertMetric, AlertRule, AlertState } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { type AlertRuleInput, alertsApi, webhooksApi } from '../../api/alerts.ts';
import { ConfirmDialog } from '../../components/dialog.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';

/** Every metric the API accepts, with words for it. */
const METRICS: { metric: AlertMetric; label: string }[] = [
  { metric: 'errorRate', label: 'Error rate (0–1)' },
  { metric: 'latencyP50', label: 'Latency p50 (ms)' },
  { metric: 'latencyP95', label: 'Latency p95 (ms)' },
  { metric: 'latencyP99', label: 'Latency p99 (ms)' },
  { metric: 'costPerCall', label: 'Cost per call (USD)' },
  { metric: 'costPerDay', label: 'Cost per day (USD)' },
  { metric: 'scoreMean', label: 'Score mean' },
  { metric: 'volume', label: 'Volume (calls)' },
  { metric: 'contractViolationRate', label: 'Contract violation rate (0–1)' },
];

const STATE_CLASS: Record<AlertState, string> = { ok: 'badge pass', firing: 'badge fail', resolved: 'badge' };

/** `> 0.05`, `+50 % vs previous window`… */
export function conditionText(c: AlertCondition): string {
  if (c.type === 'threshold') return `${c.operator === 'gt' ? '>' : '<'} ${c.value}`;
  return `${c.direction === 'increase' ? '+' : '−'}${c.percent} % vs previous window`;
}

function scopeText(r: AlertRule): string {
  const what = r.prompt ? `${r.prompt}${r.version !== null ? ` v${r.version}` : ''}` : 'whole project';
  return r.environment ? `${what} · ${r.environment}` : what;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** Alert rules with their state: create, enable/disable, delete, transitions. URL: `/settings/alerts`. */
export function AlertsPage() {
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: ['alerts'], queryFn: alertsApi.list });
  const [open, setOpen] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const toggle = useMutation({
    mutationFn: (r: AlertRule) => alertsApi.update(r.id, { enabled: !r.enabled }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['alerts'] }),
  });
  return (
    <div className="stack">
      <CreateRule />
      {toggle.error ? <ProblemView error={toggle.error} /> : null}
      <QueryView query={rules} loadingLabel="Loading alert rules…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No alert rules">Create one above.</Empty>
          ) : (
            <table className="table" aria-label="Alert rules">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Scope</th>
                  <th>Metric</th>
                  <th>Condition</th>
                  <th>State</th>
                  <th>Last value</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <RuleRow
                    key={r.id}
                    rule={r}
                    open={open === r.id}
                    onOpen={() => setOpen(open === r.id ? null : r.id)}
                    onToggle={() => toggle.mutate(r)}
                    toggling={toggle.isPending}
                    onDelete={() => setDeleting(r)}
                  />
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      <p className="muted small">
        Enabled rules are evaluated in the background. Firing and resolving show in the notification bell and
        go to every <Link href="/settings/webhooks">webhook</Link> subscribed to <code>alert.fired</code> /{' '}
        <code>alert.resolved</code>.
      </p>
      {deleting ? <DeleteRule rule={deleting} onClose={() => setDeleting(null)} /> : null}
    </div>
  );
}

function RuleRow({
  rule: r,
  open,
  onOpen,
  onToggle,
  toggling,
  onDelete,
}: {
  rule: AlertRule;
  open: boolean;
  onOpen: () => void;
  onToggle: () => void;
  toggling: boolean;
  onDelete: () => void;
}) {
  return (
    <>
      <tr data-testid={`alert-${r.id}`} className={r.enabled ? '' : 'muted'}>
        <td>
          <strong>{r.name}</strong>
          {r.enabled ? null : <div className="muted small">disabled</div>}
        </td>
        <td>{scopeText(r)}</td>
        <td className="mono">{r.metric === 'scoreMean' ? `scoreMean(${r.score})` : r.metric}</td>
        <td>
          {conditionText(r.condition)}
          <div className="muted small">
            over {r.windowMinutes} min, ≥ {r.minSamples} samples
          </div>
        </td>
        <td>
          <span className={STATE_CLASS[r.state]} data-testid="alert-state">
            {r.state}
          </span>
          <div className="muted small">since {when(r.stateSince)}</div>
        </td>
        <td className="mono">{r.lastValue ?? '—'}</td>
        <td className="right nowrap">
          <button type="button" className="small" aria-expanded={open} onClick={onOpen}>
            History
          </button>{' '}
          <button type="button" className="small" disabled={toggling} onClick={onToggle}>
            {r.enabled ? 'Disable' : 'Enable'}
          </button>{' '}
          <button type="button" className="danger small" aria-label={`Delete ${r.name}`} onClick={onDelete}>
            Delete
          </button>
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={7}>
            <Transitions id={r.id} name={r.name} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function Transitions({ id, name }: { id: number; name: string }) {
  const detail = useQuery({ queryKey: ['alert-transitions', id], queryFn: () => alertsApi.get(id) });
  return (
    <QueryView query={detail} loadingLabel="Loading transitions…">
      {(d) =>
        d.transitions.length === 0 ? (
          <p className="muted small">No transitions yet: the rule has stayed {d.state}.</p>
        ) : (
          <table className="table compact" aria-label={`Transitions of ${name}`}>
            <thead>
              <tr>
                <th>When</th>
                <th>From → to</th>
                <th>Value</th>
                <th>Previous window</th>
                <th>Samples</th>
              </tr>
            </thead>
            <tbody>
              {d.transitions.map((t) => (
                <tr key={t.id}>
                  <td>{when(t.at)}</td>
                  <td>
                    {t.from} → <span className={STATE_CLASS[t.to]}>{t.to}</span>
                  </td>
                  <td className="mono">{t.value ?? '—'}</td>
                  <td className="mono">{t.baseline ?? '—'}</td>
                  <td className="mono">{t.samples}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </QueryView>
  );
}

function CreateRule() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [prompt, setPrompt] = useState('');
  const [environment, setEnvironment] = useState('');
  const [metric, setMetric] = useState<AlertMetric>('errorRate');
  const [score, setScore] = useState('');
  const [kind, setKind] = useState<'threshold' | 'change'>('threshold');
  const [operator, setOperator] = useState<'gt' | 'lt'>('gt');
  const [direction, setDirection] = useState<'increase' | 'decrease'>('increase');
  const [amount, setAmount] = useState('');
  const [windowMinutes, setWindow] = useState('15');
  const [minSamples, setMinSamples] = useState('20');
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: webhooksApi.list });
  const destinations = (hooks.data ?? []).filter((h) => h.enabled && h.events.includes('alert.fired'));
  const create = useMutation({
    mutationFn: () => {
      const value = Number(amount);
      const condition: AlertCondition =
        kind === 'threshold'
          ? { type: 'threshold', operator, value }
          : { type: 'change', direction, percent: value };
      const body: AlertRuleInput = {
        name: name.trim(),
        metric,
        condition,
        windowMinutes: Number(windowMinutes),
        minSamples: Number(minSamples),
        ...(prompt.trim() ? { prompt: prompt.trim() } : {}),
        ...(environment.trim() ? { environment: environment.trim() } : {}),
        ...(metric === 'scoreMean' ? { score: score.trim() } : {}),
      };
      return alertsApi.create(body);
    },
    onSuccess: async () => {
      setName('');
      setAmount('');
      await queryClient.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Create an alert rule">
      <h2>Create an alert rule</h2>
      <div className="row wrap">
        <label className="grow">
          Name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. errors up"
            required
          />
        </label>
        <label>
          Prompt
          <input value={prompt} onChange={(e) => setPrompt(e.target.value)} placeholder="all prompts" />
        </label>
        <label>
          Environment
          <input value={environment} onChange={(e) => setEnvironment(e.target.value)} placeholder="all" />
        </label>
      </div>
      <div className="row wrap">
        <label>
          Metric
          <select value={metric} onChange={(e) => setMetric(e.target.value as AlertMetric)}>
            {METRICS.map((m) => (
              <option key={m.metric} value={m.metric}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        {metric === 'scoreMean' ? (
          <label>
            Score name
            <input value={score} onChange={(e) => setScore(e.target.value)} required />
          </label>
        ) : null}
        <label>
          Condition
          <select value={kind} onChange={(e) => setKind(e.target.value as 'threshold' | 'change')}>
            <option value="threshold">threshold</option>
            <option value="change">change vs previous window</option>
          </select>
        </label>
        {kind === 'threshold' ? (
          <label>
            Fires when
            <select value={operator} onChange={(e) => setOperator(e.target.value as 'gt' | 'lt')}>
              <option value="gt">above</option>
              <option value="lt">below</option>
            </select>
          </label>
        ) : (
          <label>
            Fires on
            <select
              value={direction}
              onChange={(e) => setDirection(e.target.value as 'increase' | 'decrease')}
            >
              <option value="increase">increase</option>
              <option value="decrease">decrease (e.g. volume drop)</option>
            </select>
          </label>
        )}
        <label>
          {kind === 'threshold' ? 'Threshold' : 'Change (%)'}
          <input
            type="number"
            step="any"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            required
          />
        </label>
        <label>
          Window (min)
          <input
            type="number"
            min={1}
            max={10080}
            value={windowMinutes}
            onChange={(e) => setWindow(e.target.value)}
            required
          />
        </label>
        <label>
          Min samples
          <input
            type="number"
            min={1}
            value={minSamples}
            onChange={(e) => setMinSamples(e.target.value)}
            required
          />
        </label>
      </div>
      <p className="muted small" data-testid="alert-destinations">
        Destinations: the notification bell
        {destinations.length > 0
          ? `, and webhook${destinations.length > 1 ? 's' : ''} ${destinations.map((h) => h.name).join(', ')}`
          : ''}
        . <Link href="/settings/webhooks">Subscribe a webhook to alert.fired</Link> to add one.
      </p>
      <div className="row end">
        <button
          type="submit"
          className="primary"
          disabled={create.isPending || !name.trim() || amount === ''}
        >
          {create.isPending ? 'Creating…' : 'Create rule'}
        </button>
      </div>
      {create.error ? <ProblemView error={create.error} /> : null}
    </form>
  );
}

function DeleteRule({ rule, onClose }: { rule: AlertRule; onClose: () => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => alertsApi.remove(rule.id),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['alerts'] });
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete “${rule.name}”?`}
      confirmLabel="Delete rule"
      pending={remove.isPending}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
      error={remove.error ? <ProblemView error={remove.error} /> : null}
    >
      <p>The rule and its transition history are deleted.</p>
    </ConfirmDialog>
  );
}
