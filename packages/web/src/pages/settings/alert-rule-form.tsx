/**
 * What creating and editing an alert rule share: the draft of its metric and condition (as the
 * strings of the form's inputs), the fields that edit it, and the condition it stands for.
 */
import type {
  AlertCondition,
  AlertMetric,
  AlertRule,
  UpdateAlertRuleRequest,
  Webhook,
  WebhookEventType,
} from '@promptline/core';

/** Every metric the API accepts, with words for it. */
export const METRICS: { metric: AlertMetric; label: string }[] = [
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

export interface RuleDraft {
  metric: AlertMetric;
  score: string;
  kind: 'threshold' | 'change';
  operator: 'gt' | 'lt';
  direction: 'increase' | 'decrease';
  /** The threshold, or the change in percent. */
  amount: string;
  windowMinutes: string;
  minSamples: string;
}

export const NEW_RULE_DRAFT: RuleDraft = {
  metric: 'errorRate',
  score: '',
  kind: 'threshold',
  operator: 'gt',
  direction: 'increase',
  amount: '',
  windowMinutes: '15',
  minSamples: '20',
};

/** The draft a rule's edit form starts from. */
export function draftOf(rule: AlertRule): RuleDraft {
  const c = rule.condition;
  return {
    metric: rule.metric,
    score: rule.score ?? '',
    kind: c.type,
    operator: c.type === 'threshold' ? c.operator : 'gt',
    direction: c.type === 'change' ? c.direction : 'increase',
    amount: String(c.type === 'threshold' ? c.value : c.percent),
    windowMinutes: String(rule.windowMinutes),
    minSamples: String(rule.minSamples),
  };
}

/**
 * The condition a draft stands for. A resolve level the rule had is kept while the kind and
 * direction stay (the API checks it still sits on the healthy side); otherwise the default applies.
 */
export function conditionOf(d: RuleDraft, previous?: AlertCondition): AlertCondition {
  const value = Number(d.amount);
  if (d.kind === 'threshold') {
    const keep =
      previous?.type === 'threshold' && previous.operator === d.operator ? previous.resolveAt : undefined;
    return {
      type: 'threshold',
      operator: d.operator,
      value,
      ...(keep === undefined ? {} : { resolveAt: keep }),
    };
  }
  const keep =
    previous?.type === 'change' && previous.direction === d.direction ? previous.resolvePercent : undefined;
  return {
    type: 'change',
    direction: d.direction,
    percent: value,
    ...(keep === undefined ? {} : { resolvePercent: keep }),
  };
}

/** The inputs of a draft: metric (and score name), condition, amount, window, minimum samples. */
export function RuleFields({ draft: d, onChange }: { draft: RuleDraft; onChange: (d: RuleDraft) => void }) {
  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K]) => onChange({ ...d, [key]: value });
  return (
    <div className="row wrap">
      <label>
        Metric
        <select value={d.metric} onChange={(e) => set('metric', e.target.value as AlertMetric)}>
          {METRICS.map((m) => (
            <option key={m.metric} value={m.metric}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
      {d.metric === 'scoreMean' ? (
        <label>
          Score name
          <input value={d.score} onChange={(e) => set('score', e.target.value)} required />
        </label>
      ) : null}
      <label>
        Condition
        <select value={d.kind} onChange={(e) => set('kind', e.target.value as RuleDraft['kind'])}>
          <option value="threshold">threshold</option>
          <option value="change">change vs previous window</option>
        </select>
      </label>
      {d.kind === 'threshold' ? (
        <label>
          Fires when
          <select
            value={d.operator}
            onChange={(e) => set('operator', e.target.value as RuleDraft['operator'])}
          >
            <option value="gt">above</option>
            <option value="lt">below</option>
          </select>
        </label>
      ) : (
        <label>
          Fires on
          <select
            value={d.direction}
            onChange={(e) => set('direction', e.target.value as RuleDraft['direction'])}
          >
            <option value="increase">increase</option>
            <option value="decrease">decrease (e.g. volume drop)</option>
          </select>
        </label>
      )}
      <label>
        {d.kind === 'threshold' ? 'Threshold' : 'Change (%)'}
        <input
          type="number"
          step="any"
          value={d.amount}
          onChange={(e) => set('amount', e.target.value)}
          required
        />
      </label>
      <label>
        Window (min)
        <input
          type="number"
          min={1}
          max={10080}
          value={d.windowMinutes}
          onChange={(e) => set('windowMinutes', e.target.value)}
          required
        />
      </label>
      <label>
        Min samples
        <input
          type="number"
          min={1}
          value={d.minSamples}
          onChange={(e) => set('minSamples', e.target.value)}
          required
        />
      </label>
    </div>
  );
}

/**
 * The PATCH body that turns `rule` into the edited name and draft: only what changed, so the
 * audit event names exactly that (an empty object: nothing to send).
 */
export function ruleChanges(rule: AlertRule, name: string, d: RuleDraft): UpdateAlertRuleRequest {
  const condition = conditionOf(d, rule.condition);
  const score = d.metric === 'scoreMean' ? d.score.trim() : null;
  return {
    ...(name.trim() !== rule.name ? { name: name.trim() } : {}),
    ...(d.metric !== rule.metric ? { metric: d.metric } : {}),
    ...(score !== null && score !== rule.score ? { score } : {}),
    ...(JSON.stringify(condition) !== JSON.stringify(rule.condition) ? { condition } : {}),
    ...(Number(d.windowMinutes) !== rule.windowMinutes ? { windowMinutes: Number(d.windowMinutes) } : {}),
    ...(Number(d.minSamples) !== rule.minSamples ? { minSamples: Number(d.minSamples) } : {}),
  };
}

/** The events alert rules publish: a webhook subscribed to either is a destination of every rule. */
export const ALERT_EVENTS: WebhookEventType[] = ['alert.fired', 'alert.resolved'];

export const sendsAlerts = (hook: Pick<Webhook, 'events'>) =>
  hook.events.some((e) => ALERT_EVENTS.includes(e));

/** A webhook's events with the alert events added or taken out (the others stay). */
export function withAlertEvents(events: readonly WebhookEventType[], on: boolean): WebhookEventType[] {
  const others = events.filter((e) => !ALERT_EVENTS.includes(e));
  return on ? [...others, ...ALERT_EVENTS] : others;
}
