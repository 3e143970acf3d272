import type { ApiKey, CreatedApiKey } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { environmentsApi, keysApi } from '../../api/admin.ts';
import { ConfirmAction } from '../../components/dialog.tsx';

/** What a new key may reach; empty fields mean "no limit". */
export interface KeyLimitsInput {
  readOnly: boolean;
  environments: string[];
  promptPrefix: string;
  /** A `datetime-local` value (the browser's time zone), or empty. */
  expires: string;
}

export const NO_LIMITS: KeyLimitsInput = { readOnly: false, environments: [], promptPrefix: '', expires: '' };

/** The request fields of the limits that are set. */
export function limitsBody(limits: KeyLimitsInput) {
  return {
    ...(limits.readOnly ? { readOnly: true } : {}),
    ...(limits.environments.length > 0 ? { environments: limits.environments } : {}),
    ...(limits.promptPrefix.trim() ? { promptPrefix: limits.promptPrefix.trim() } : {}),
    ...(limits.expires ? { expiresAt: new Date(limits.expires).toISOString() } : {}),
  };
}

/** A key's limits in a few words, for the keys table. */
export function describeLimits(key: ApiKey): string {
  const parts = [
    key.readOnly ? 'read-only' : '',
    key.environments ? `only ${key.environments.join(', ')}` : '',
    key.promptPrefix ? `prompts ${key.promptPrefix}` : '',
    key.expiresAt ? `expires ${new Date(key.expiresAt).toLocaleString()}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'none';
}

/** The limits part of the create form: application key, environments, prompts, expiry. */
export function KeyLimitsFields({
  value,
  onChange,
}: {
  value: KeyLimitsInput;
  onChange: (next: KeyLimitsInput) => void;
}) {
  const envs = useQuery({ queryKey: ['environments'], queryFn: environmentsApi.list });
  const toggle = (env: string, on: boolean) =>
    onChange({
      ...value,
      environments: on ? [...value.environments, env] : value.environments.filter((e) => e !== env),
    });
  return (
    <fieldset className="stack">
      <legend>Limits (optional)</legend>
      <label className="inline">
        <input
          type="checkbox"
          checked={value.readOnly}
          onChange={(e) => onChange({ ...value, readOnly: e.target.checked })}
        />
        Read-only application key
      </label>
      <p className="muted small">
        What a production app should hold: it reads snapshots and streams, resolves and renders, and sends
        traces and scores — nothing else. Its role is viewer.
      </p>
      <fieldset className="row wrap" aria-label="Only these environments">
        <span>Only these environments:</span>
        {(envs.data ?? [])
          .filter((env) => !env.archived)
          .map((env) => (
            <label key={env.name} className="inline">
              <input
                type="checkbox"
                checked={value.environments.includes(env.name)}
                onChange={(e) => toggle(env.name, e.target.checked)}
              />
              {env.name}
            </label>
          ))}
        {value.environments.length === 0 ? <span className="muted small">(none ticked: all)</span> : null}
      </fieldset>
      <div className="row wrap">
        <label className="grow">
          Prompts
          <input
            value={value.promptPrefix}
            onChange={(e) => onChange({ ...value, promptPrefix: e.target.value })}
            placeholder="all, or e.g. support/*"
            maxLength={200}
          />
        </label>
        <label>
          Expires
          <input
            type="datetime-local"
            value={value.expires}
            onChange={(e) => onChange({ ...value, expires: e.target.value })}
          />
        </label>
      </div>
    </fieldset>
  );
}

/** Confirms a rotation and its grace period; hands the new key (shown once) to `onRotated`. */
export function RotateKey({
  apiKey,
  onClose,
  onRotated,
}: {
  apiKey: ApiKey;
  onClose: () => void;
  onRotated: (key: CreatedApiKey) => void;
}) {
  const [grace, setGrace] = useState('3600');
  return (
    <ConfirmAction
      title={`Rotate “${apiKey.name}”?`}
      confirmLabel="Rotate key"
      action={() => keysApi.rotate(apiKey.id, Number(grace))}
      invalidate={[['api-keys']]}
      onDone={onRotated}
      onClose={onClose}
    >
      <p>
        A new secret with the same role and limits is shown once. The old one (<code>{apiKey.prefix}…</code>)
        keeps working for the grace period, then is refused.
      </p>
      <label>
        Grace period (seconds)
        <input
          type="number"
          min={0}
          max={30 * 24 * 3600}
          value={grace}
          onChange={(e) => setGrace(e.target.value)}
        />
      </label>
    </ConfirmAction>
  );
}
