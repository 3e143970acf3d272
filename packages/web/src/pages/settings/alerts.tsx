import type { AlertCondition, AlertRule, AlertState } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { type AlertRuleInput, alertsApi, webhooksApi } from '../../api/alerts.ts';
import { ConfirmAction } from '../../components/dialog.tsx';
import { CreateForm, ItemTable } from '../../components/sections.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { EditRule } from './alert-rule-edit.tsx';
import { conditionOf, NEW_RULE_DRAFT, RuleFields } from './alert-rule-form.tsx';

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

/** Alert rules with their state: create, edit, enable/disable, delete, transitions. URL: `/settings/alerts`. */
export function AlertsPage() {
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: ['alerts'], queryFn: alertsApi.list });
  const [open, setOpen] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const [editing, setEditing] = useState<AlertRule | null>(null);
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
            <ItemTable
              label="Alert rules"
              columns={['Name', 'Scope', 'Metric', 'Condition', 'State', 'Last value']}
            >
              {items.map((r) => (
                <RuleRow
                  key={r.id}
                  rule={r}
                  open={open === r.id}
                  onOpen={() => setOpen(open === r.id ? null : r.id)}
                  onToggle={() => toggle.mutate(r)}
                  toggling={toggle.isPending}
                  onEdit={() => setEditing(r)}
                  onDelete={() => setDeleting(r)}
                />
              ))}
            </ItemTable>
          )
        }
      </QueryView>
      <p className="muted small">
        Enabled rules are evaluated in the background. Firing and resolving show in the notification bell and
        go to every <Link href="/settings/webhooks">webhook</Link> subscribed to <code>alert.fired</code> /{' '}
        <code>alert.resolved</code>.
      </p>
      {deleting ? <DeleteRule rule={deleting} onClose={() => setDeleting(null)} /> : null}
      {editing ? <EditRule rule={editing} onClose={() => setEditing(null)} /> : null}
    </div>
  );
}

function RuleRow({
  rule: r,
  open,
  onOpen,
  onToggle,
  toggling,
  onEdit,
  onDelete,
}: {
  rule: AlertRule;
  open: boolean;
  onOpen: () => void;
  onToggle: () => void;
  toggling: boolean;
  onEdit: () => void;
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
          <button type="button" className="small" aria-label={`Edit ${r.name}`} onClick={onEdit}>
            Edit
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
  const [draft, setDraft] = useState(NEW_RULE_DRAFT);
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: webhooksApi.list });
  const destinations = (hooks.data ?? []).filter((h) => h.enabled && h.events.includes('alert.fired'));
  const create = useMutation({
    mutationFn: () => {
      const body: AlertRuleInput = {
        name: name.trim(),
        metric: draft.metric,
        condition: conditionOf(draft),
        windowMinutes: Number(draft.windowMinutes),
        minSamples: Number(draft.minSamples),
        ...(prompt.trim() ? { prompt: prompt.trim() } : {}),
        ...(environment.trim() ? { environment: environment.trim() } : {}),
        ...(draft.metric === 'scoreMean' ? { score: draft.score.trim() } : {}),
      };
      return alertsApi.create(body);
    },
    onSuccess: async () => {
      setName('');
      setDraft((d) => ({ ...d, amount: '' }));
      await queryClient.invalidateQueries({ queryKey: ['alerts'] });
    },
  });
  return (
    <CreateForm
      title="Create an alert rule"
      submitLabel="Create rule"
      pending={create.isPending}
      disabled={!name.trim() || draft.amount === ''}
      error={create.error}
      onSubmit={() => create.mutate()}
    >
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
      <RuleFields draft={draft} onChange={setDraft} />
      <p className="muted small" data-testid="alert-destinations">
        Destinations: the notification bell
        {destinations.length > 0
          ? `, and webhook${destinations.length > 1 ? 's' : ''} ${destinations.map((h) => h.name).join(', ')}`
          : ''}
        . <Link href="/settings/webhooks">Subscribe a webhook to alert.fired</Link> to add one.
      </p>
    </CreateForm>
  );
}

function DeleteRule({ rule, onClose }: { rule: AlertRule; onClose: () => void }) {
  return (
    <ConfirmAction
      title={`Delete “${rule.name}”?`}
      confirmLabel="Delete rule"
      action={() => alertsApi.remove(rule.id)}
      invalidate={[['alerts']]}
      onClose={onClose}
    >
      <p>The rule and its transition history are deleted.</p>
    </ConfirmAction>
  );
}
