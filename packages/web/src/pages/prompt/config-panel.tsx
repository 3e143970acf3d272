import type { ModelConfig } from '@promptline/core';
import { useState } from 'react';

const PROVIDERS = ['openai', 'anthropic', 'gemini', 'openai-compatible', 'mock'];

function numberOrUndefined(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Provider, model and parameters of a draft; other parameters are edited as JSON. */
export function ConfigPanel({
  config,
  onChange,
}: {
  config: ModelConfig;
  onChange: (c: ModelConfig) => void;
}) {
  const params = (config.parameters ?? {}) as Record<string, unknown>;
  const { temperature, maxTokens, ...rest } = params;
  const [extra, setExtra] = useState(() => (Object.keys(rest).length ? JSON.stringify(rest, null, 2) : ''));
  const [extraError, setExtraError] = useState<string | null>(null);

  const setParam = (key: string, value: unknown) => {
    const next: Record<string, unknown> = { ...params };
    if (value === undefined) delete next[key];
    else next[key] = value;
    const { parameters: _drop, ...others } = config;
    onChange(Object.keys(next).length ? { ...others, parameters: next } : others);
  };
  const set = (key: 'provider' | 'model', value: string) => {
    const next: ModelConfig = { ...config };
    if (value) next[key] = value;
    else delete next[key];
    onChange(next);
  };

  return (
    <aside className="config-panel card" aria-label="Model configuration">
      <h2>Model</h2>
      <label>
        Provider
        <input
          list="providers"
          value={config.provider ?? ''}
          onChange={(e) => set('provider', e.target.value)}
          placeholder="openai"
        />
        <datalist id="providers">
          {PROVIDERS.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
      </label>
      <label>
        Model
        <input
          value={config.model ?? ''}
          onChange={(e) => set('model', e.target.value)}
          placeholder="gpt-4o-mini"
        />
      </label>
      <label>
        Temperature
        <input
          type="number"
          step="0.1"
          min="0"
          max="2"
          value={typeof temperature === 'number' ? temperature : ''}
          onChange={(e) => setParam('temperature', numberOrUndefined(e.target.value))}
        />
      </label>
      <label>
        Max tokens
        <input
          type="number"
          min="1"
          value={typeof maxTokens === 'number' ? maxTokens : ''}
          onChange={(e) => setParam('maxTokens', numberOrUndefined(e.target.value))}
        />
      </label>
      <label>
        Other parameters (JSON)
        <textarea
          className="mono"
          rows={4}
          value={extra}
          placeholder='{"topP": 0.9}'
          onChange={(e) => {
            setExtra(e.target.value);
            try {
              const parsed: unknown = e.target.value.trim() ? JSON.parse(e.target.value) : {};
              if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
                throw new Error('not an object');
              setExtraError(null);
              const base: Record<string, unknown> = {};
              if (typeof temperature === 'number') base.temperature = temperature;
              if (typeof maxTokens === 'number') base.maxTokens = maxTokens;
              const next = { ...base, ...(parsed as Record<string, unknown>) };
              const { parameters: _drop, ...others } = config;
              onChange(Object.keys(next).length ? { ...others, parameters: next } : others);
            } catch {
              // Shown beside the field.
              setExtraError('Write a JSON object, e.g. {"topP": 0.9}');
            }
          }}
          aria-invalid={extraError !== null}
        />
        {extraError ? <small className="error-text">{extraError}</small> : null}
      </label>
    </aside>
  );
}
