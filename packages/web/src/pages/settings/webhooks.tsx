import type { Webhook, WebhookEventType, WebhookWithSecret } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { webhooksApi } from '../../api/alerts.ts';
import { ConfirmAction } from '../../components/dialog.tsx';
import { CreateForm, ItemTable, ShownOnce } from '../../components/sections.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';

/** The events a subscription can ask for (core's WEBHOOK_EVENT_TYPES, kept as data here so zod stays out of the chunk). */
const EVENTS = [
  'version.created',
  'deployment.changed',
  'deployment.requested',
  'deployment.approved',
  'eval.completed',
  'redteam.completed',
  'alert.fired',
  'alert.resolved',
] as const satisfies readonly WebhookEventType[];

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Webhook subscriptions: create (secret shown once), test, enable/disable, delete, delivery log. URL: `/settings/webhooks`. */
export function WebhooksPage() {
  const queryClient = useQueryClient();
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: webhooksApi.list });
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const refresh = (id?: number) =>
    queryClient.invalidateQueries({ queryKey: id === undefined ? ['webhooks'] : ['webhook-deliveries', id] });
  const toggle = useMutation({
    mutationFn: (h: Webhook) => webhooksApi.update(h.id, { enabled: !h.enabled }),
    onSettled: () => refresh(),
  });
  const test = useMutation({
    mutationFn: (h: Webhook) => webhooksApi.test(h.id),
    onSuccess: async (_d, h) => {
      setOpen(h.id);
      await refresh(h.id);
    },
  });
  return (
    <div className="stack">
      <CreateWebhook onCreated={setCreated} />
      {created ? <NewSecret created={created} onDone={() => setCreated(null)} /> : null}
      {toggle.error ? <ProblemView error={toggle.error} /> : null}
      {test.error ? <ProblemView error={test.error} /> : null}
      <QueryView query={hooks} loadingLabel="Loading webhooks…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No webhook subscriptions">Create one above.</Empty>
          ) : (
            <ItemTable label="Webhooks" columns={['Name', 'URL', 'Events', 'Status']}>
              {items.map((h) => (
                <HookRow
                  key={h.id}
                  hook={h}
                  open={open === h.id}
                  onOpen={() => setOpen(open === h.id ? null : h.id)}
                  onToggle={() => toggle.mutate(h)}
                  onTest={() => test.mutate(h)}
                  busy={toggle.isPending || test.isPending}
                  onDelete={() => setDeleting(h)}
                />
              ))}
            </ItemTable>
          )
        }
      </QueryView>
      <p className="muted small">
        Deliveries are signed the Standard Webhooks way (<code>webhook-id</code>,{' '}
        <code>webhook-timestamp</code>, <code>webhook-signature</code>) and retried with backoff; a redelivery
        sends the same body and id again.
      </p>
      {deleting ? <DeleteWebhook hook={deleting} onClose={() => setDeleting(null)} /> : null}
    </div>
  );
}

function HookRow({
  hook: h,
  open,
  onOpen,
  onToggle,
  onTest,
  busy,
  onDelete,
}: {
  hook: Webhook;
  open: boolean;
  onOpen: () => void;
  onToggle: () => void;
  onTest: () => void;
  busy: boolean;
  onDelete: () => void;
}) {
  return (
    <>
      <tr data-testid={`webhook-${h.id}`} className={h.enabled ? '' : 'muted'}>
        <td>
          <strong>{h.name}</strong>
          <div className="muted small">{h.kind}</div>
        </td>
        <td className="mono">{h.urlHint}</td>
        <td className="small">{h.events.join(', ')}</td>
        <td>
          {h.enabled ? <span className="badge pass">enabled</span> : <span className="badge">disabled</span>}
        </td>
        <td className="right nowrap">
          <button type="button" className="small" aria-expanded={open} onClick={onOpen}>
            Deliveries
          </button>{' '}
          <button type="button" className="small" disabled={busy} onClick={onTest}>
            Send test
          </button>{' '}
          <button type="button" className="small" disabled={busy} onClick={onToggle}>
            {h.enabled ? 'Disable' : 'Enable'}
          </button>{' '}
          <button type="button" className="danger small" aria-label={`Delete ${h.name}`} onClick={onDelete}>
            Delete
          </button>
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={5}>
            <Deliveries hook={h} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function Deliveries({ hook }: { hook: Webhook }) {
  const queryClient = useQueryClient();
  const log = useQuery({
    queryKey: ['webhook-deliveries', hook.id],
    queryFn: () => webhooksApi.deliveries(hook.id),
    // Pending and retrying deliveries change on their own: look again while any is in flight.
    refetchInterval: (q) =>
      q.state.data?.some((d) => d.status === 'pending' || d.status === 'retrying') ? 1000 : false,
  });
  const redeliver = useMutation({
    mutationFn: (id: number) => webhooksApi.redeliver(id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['webhook-deliveries', hook.id] }),
  });
  return (
    <div className="stack">
      <div className="row">
        <strong className="grow">Delivery log of {hook.name}</strong>
        <button type="button" className="small" onClick={() => void log.refetch()}>
          Refresh
        </button>
      </div>
      {redeliver.error ? <ProblemView error={redeliver.error} /> : null}
      <QueryView query={log} loadingLabel="Loading deliveries…">
        {(items) =>
          items.length === 0 ? (
            <p className="muted small">No deliveries yet. “Send test” sends a webhook.test event.</p>
          ) : (
            <ItemTable
              label={`Deliveries of ${hook.name}`}
              columns={['When', 'Event', 'Status', 'Response', 'Attempts']}
              compact
            >
              {items.map((d) => (
                <tr key={d.id} data-testid="delivery">
                  <td>{when(d.createdAt)}</td>
                  <td className="mono">
                    {d.eventType}
                    {d.redeliveryOf !== null ? (
                      <div className="muted small">redelivery of #{d.redeliveryOf}</div>
                    ) : null}
                  </td>
                  <td>
                    <span
                      className={
                        d.status === 'succeeded'
                          ? 'badge pass'
                          : d.status === 'failed'
                            ? 'badge fail'
                            : 'badge'
                      }
                    >
                      {d.status}
                    </span>
                  </td>
                  <td className="mono" data-testid="delivery-response">
                    {d.responseStatus ?? '—'}
                    {d.error ? <div className="muted small">{d.error}</div> : null}
                  </td>
                  <td className="mono">{d.attempts}</td>
                  <td className="right">
                    <button
                      type="button"
                      className="small"
                      disabled={redeliver.isPending}
                      onClick={() => redeliver.mutate(d.id)}
                    >
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </ItemTable>
          )
        }
      </QueryView>
    </div>
  );
}

function CreateWebhook({ onCreated }: { onCreated: (w: WebhookWithSecret) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [kind, setKind] = useState<'webhook' | 'slack'>('webhook');
  const [events, setEvents] = useState<WebhookEventType[]>(['alert.fired', 'alert.resolved']);
  const create = useMutation({
    mutationFn: () => webhooksApi.create({ name: name.trim(), url: url.trim(), kind, events }),
    onSuccess: async (w) => {
      setName('');
      setUrl('');
      onCreated(w);
      await queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  const flip = (ev: WebhookEventType, on: boolean) =>
    setEvents((cur) => (on ? [...cur, ev] : cur.filter((x) => x !== ev)));
  return (
    <CreateForm
      title="Create a webhook"
      submitLabel="Create webhook"
      pending={create.isPending}
      disabled={!name.trim() || !url.trim() || events.length === 0}
      error={create.error}
      onSubmit={() => create.mutate()}
    >
      <div className="row wrap">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. on-call" required />
        </label>
        <label className="grow">
          URL
          <input
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://example.com/hooks/promptline"
            required
          />
        </label>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as 'webhook' | 'slack')}>
            <option value="webhook">signed JSON</option>
            <option value="slack">Slack incoming webhook</option>
          </select>
        </label>
      </div>
      <fieldset className="row wrap">
        <legend>Events</legend>
        {EVENTS.map((ev) => (
          <label key={ev} className="inline">
            <input
              type="checkbox"
              checked={events.includes(ev)}
              onChange={(e) => flip(ev, e.target.checked)}
            />
            {ev}
          </label>
        ))}
      </fieldset>
    </CreateForm>
  );
}

function NewSecret({ created, onDone }: { created: WebhookWithSecret; onDone: () => void }) {
  return (
    <ShownOnce
      label="New webhook"
      testId="new-webhook"
      value={created.secret}
      valueTestId="webhook-secret"
      copyLabel="Copy secret"
      highlight
      onDone={onDone}
    >
      Webhook “{created.name}” created.
      {created.secret ? ' Copy its signing secret now: it is shown only once.' : ''}
    </ShownOnce>
  );
}

function DeleteWebhook({ hook, onClose }: { hook: Webhook; onClose: () => void }) {
  return (
    <ConfirmAction
      title={`Delete “${hook.name}”?`}
      confirmLabel="Delete webhook"
      action={() => webhooksApi.remove(hook.id)}
      invalidate={[['webhooks']]}
      onClose={onClose}
    >
      <p>Nothing more is sent to {hook.urlHint}. Its delivery log is kept 30 days.</p>
    </ConfirmAction>
  );
}
