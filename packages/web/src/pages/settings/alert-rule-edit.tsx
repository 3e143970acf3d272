/**
 * Editing an alert rule: its name, metric, condition, window and minimum sample (`PATCH
 * /api/v1/alerts/{id}`, only the fields that changed) and its destinations. A rule's destinations
 * are the notification bell and every webhook subscribed to `alert.fired` / `alert.resolved`, for
 * all the project's rules alike: ticking a webhook here changes that webhook's subscription.
 */
import type { AlertRule, Webhook } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { alertsApi, webhooksApi } from '../../api/alerts.ts';
import { FormDialog } from '../../components/dialog.tsx';
import { QueryView } from '../../components/states.tsx';
import { draftOf, RuleFields, ruleChanges, sendsAlerts, withAlertEvents } from './alert-rule-form.tsx';

export function EditRule({ rule, onClose }: { rule: AlertRule; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(rule.name);
  const [draft, setDraft] = useState(() => draftOf(rule));
  const hooks = useQuery({ queryKey: ['webhooks'], queryFn: webhooksApi.list });
  /** Webhooks whose box was changed: id → sends alerts. */
  const [ticked, setTicked] = useState<ReadonlyMap<number, boolean>>(new Map());
  const save = useMutation({
    mutationFn: async () => {
      const patch = ruleChanges(rule, name, draft);
      if (Object.keys(patch).length > 0) await alertsApi.update(rule.id, patch);
      for (const hook of hooks.data ?? []) {
        const on = ticked.get(hook.id);
        if (on !== undefined && on !== sendsAlerts(hook)) {
          await webhooksApi.update(hook.id, { events: withAlertEvents(hook.events, on) });
        }
      }
    },
    // What was saved before a refusal stays saved: the lists are read again either way.
    onSettled: () =>
      Promise.all(
        [['alerts'], ['webhooks'], ['alert-transitions', rule.id]].map((queryKey) =>
          queryClient.invalidateQueries({ queryKey }),
        ),
      ),
    onSuccess: onClose,
  });
  const sends = (hook: Webhook) => ticked.get(hook.id) ?? sendsAlerts(hook);
  return (
    <FormDialog
      title={`Edit “${rule.name}”`}
      label="Edit alert rule"
      wide
      submitLabel="Save rule"
      pending={save.isPending}
      disabled={!name.trim() || draft.amount === ''}
      error={save.error}
      onSubmit={() => save.mutate()}
      onClose={onClose}
    >
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <p className="muted small">
        Watches{' '}
        {rule.prompt
          ? `${rule.prompt}${rule.version !== null ? ` v${rule.version}` : ''}`
          : 'the whole project'}
        {rule.environment ? ` in ${rule.environment}` : ''} (the scope stays; a rule watching something else
        is a new rule). Its state stays {rule.state} until the next evaluation decides under the new
        condition.
      </p>
      <RuleFields draft={draft} onChange={setDraft} />
      <fieldset>
        <legend>Destinations</legend>
        <label className="inline">
          <input type="checkbox" checked disabled /> Notification bell (always)
        </label>
        <QueryView query={hooks} loadingLabel="Loading webhooks…">
          {(items) => (
            <>
              {items.map((hook) => {
                const onlyAlerts = withAlertEvents(hook.events, false).length === 0;
                return (
                  <label key={hook.id} className="inline">
                    <input
                      type="checkbox"
                      checked={sends(hook)}
                      // Its only events are the alert ones: unsubscribing would leave it none.
                      disabled={onlyAlerts && sends(hook)}
                      onChange={(e) => setTicked(new Map(ticked).set(hook.id, e.target.checked))}
                    />{' '}
                    Webhook {hook.name}
                    <span className="muted small">
                      {' '}
                      ({hook.kind}
                      {hook.enabled ? '' : ', disabled'}
                      {onlyAlerts && sends(hook) ? ', alerts only: disable or delete it under Webhooks' : ''})
                    </span>
                  </label>
                );
              })}
              <p className="muted small">
                A webhook subscribed to alert.fired / alert.resolved receives the alerts of every rule of the
                project.
              </p>
            </>
          )}
        </QueryView>
      </fieldset>
    </FormDialog>
  );
}
