/**
 * What a delivery sends: the body for each destination kind, and the Standard Webhooks signature
 * (`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` keyed by the secret's
 * bytes), so a receiver checks it with any Standard Webhooks library or a few lines of HMAC.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookEventBody, WebhookKind } from '@promptline/core';

/** A new signing secret: `whsec_` and base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The `webhook-signature` header value for one send. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** What lists show of a URL: no query string (tokens live there), and no path at all for Slack. */
export function urlHint(kind: WebhookKind, url: string): string {
  const parsed = new URL(url);
  return kind === 'slack' ? `${parsed.origin}/…` : `${parsed.origin}${parsed.pathname}`;
}

const str = (value: unknown) => (value === undefined || value === null ? '' : String(value));

/** One line a person reads in a chat channel. */
export function slackText(event: WebhookEventBody): string {
  const d = event.data;
  switch (event.type) {
    case 'version.created':
      return `New version v${str(d.version)} (${str(d.semver)}) of *${str(d.prompt)}* by ${str(d.author)}${d.message ? `: ${str(d.message)}` : ''}`;
    case 'deployment.changed': {
      const versions = Array.isArray(d.variants)
        ? d.variants
            .map(
              (v: { version?: unknown; weight?: unknown }) =>
                `v${str(v.version)} (${Number(v.weight) / 100}%)`,
            )
            .join(', ')
        : '';
      const state = d.enabled === false ? 'switched OFF' : `now serves ${versions}`;
      return `*${str(d.prompt)}* in ${str(d.environment)} ${state} — ${str(d.action)} by ${str(d.actor)}${d.reason ? ` (${str(d.reason)})` : ''}`;
    }
    case 'deployment.requested':
      return `${str(d.author)} asks to deploy *${str(d.prompt)}* to ${str(d.environment)} (request #${str(d.requestId)}): ${str(d.reason)}`;
    case 'deployment.approved':
      return `${str(d.approver)} approved request #${str(d.requestId)} for *${str(d.prompt)}* in ${str(d.environment)} (${str(d.approvals)}/${str(d.requiredApprovals)})`;
    case 'eval.completed':
      return `Eval run #${str(d.runId)} of *${str(d.prompt)}* ${str(d.status)}${d.thresholdsMet === true ? ': thresholds met' : d.thresholdsMet === false ? ': thresholds NOT met' : ''}`;
    case 'redteam.completed':
      return `Red-team run #${str(d.runId)} of *${str(d.prompt)}* v${str(d.version)} ${str(d.status)}${d.passed === true ? ': passed' : d.passed === false ? `: FAILED (${str(d.failing)} failing findings)` : ''}`;
    case 'alert.fired':
      return `:rotating_light: Alert *${str(d.rule)}* is firing: ${str(d.metric)} = ${str(d.value)} (${str(d.condition)})`;
    case 'alert.resolved':
      return `:white_check_mark: Alert *${str(d.rule)}* resolved: ${str(d.metric)} = ${str(d.value)}`;
    case 'webhook.test':
      return 'Promptline test message: this channel receives Promptline notifications.';
  }
}

/** The body of one delivery, fixed when the delivery is created (retries send the same bytes). */
export function deliveryBody(kind: WebhookKind, event: WebhookEventBody): string {
  return kind === 'slack' ? JSON.stringify({ text: slackText(event) }) : JSON.stringify(event);
}
