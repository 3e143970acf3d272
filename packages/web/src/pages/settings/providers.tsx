import type { ProviderCredentialRequest, ProviderInfo } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { providersApi } from '../../api/admin.ts';
import { ConfirmAction, FormDialog } from '../../components/dialog.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { formatAgo, formatMs } from '../../lib/format.ts';

type Kind = ProviderInfo['kind'];
type WireKind = Exclude<Kind, 'mock'>;

/** A model each kind can answer a one-token test with (any model of the account works). */
const TEST_MODEL: Record<Kind, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-3-5-haiku-latest',
  gemini: 'gemini-2.0-flash',
  'openai-compatible': '',
  mock: 'mock-1',
};

/** Provider credentials: write-only (only the `…last4` hint the API gives is shown). URL: `/settings/providers`. */
export function ProvidersPage() {
  const providers = useQuery({ queryKey: ['providers'], queryFn: providersApi.list });
  const [editing, setEditing] = useState<ProviderInfo | 'new' | null>(null);
  const [removing, setRemoving] = useState<ProviderInfo | null>(null);
  return (
    <div className="stack">
      <div className="toolbar">
        <p className="grow muted">
          Keys are stored encrypted and never shown again; models are called with them from the playground and
          eval runs.
        </p>
        <button type="button" onClick={() => setEditing('new')}>
          Add a provider under its own name…
        </button>
      </div>
      <QueryView query={providers} loadingLabel="Loading providers…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No providers" />
          ) : (
            <ul className="plain stack" aria-label="Providers">
              {items.map((p) => (
                <ProviderCard
                  key={p.provider}
                  info={p}
                  onEdit={() => setEditing(p)}
                  onRemove={() => setRemoving(p)}
                />
              ))}
            </ul>
          )
        }
      </QueryView>
      {editing ? (
        <ConfigureProvider info={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      ) : null}
      {removing ? <RemoveProvider info={removing} onClose={() => setRemoving(null)} /> : null}
    </div>
  );
}

function ProviderCard({
  info,
  onEdit,
  onRemove,
}: {
  info: ProviderInfo;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const [model, setModel] = useState(TEST_MODEL[info.kind]);
  const test = useMutation({ mutationFn: () => providersApi.test(info.provider, model.trim()) });
  const stored = info.updatedAt !== null;
  return (
    <li
      className="card stack"
      aria-label={`Provider ${info.provider}`}
      data-testid={`provider-${info.provider}`}
    >
      <div className="row wrap">
        <strong className="grow">
          {info.provider}
          {info.kind !== info.provider ? <span className="muted"> · {info.kind}</span> : null}
        </strong>
        {info.configured ? (
          <span className="badge pass">
            {info.kind === 'mock' ? 'built in, no key needed' : 'configured'}
          </span>
        ) : (
          <span className="badge">not configured</span>
        )}
        {info.kind !== 'mock' ? (
          <button type="button" onClick={onEdit}>
            {stored ? 'Edit' : 'Configure'}
          </button>
        ) : null}
        {stored ? (
          <button type="button" className="danger" onClick={onRemove}>
            Remove
          </button>
        ) : null}
      </div>
      {stored ? (
        <dl className="facts">
          <dt>Key</dt>
          <dd className="mono">{info.keyHint ?? (info.kind === 'openai-compatible' ? 'none' : 'stored')}</dd>
          {info.baseUrl ? (
            <>
              <dt>Base URL</dt>
              <dd className="mono">{info.baseUrl}</dd>
            </>
          ) : null}
          {info.headerNames.length > 0 ? (
            <>
              <dt>Headers</dt>
              <dd className="mono">{info.headerNames.join(', ')} (values hidden)</dd>
            </>
          ) : null}
          <dt>Changed</dt>
          <dd>
            {info.updatedAt ? formatAgo(info.updatedAt) : ''} by {info.updatedBy}
          </dd>
        </dl>
      ) : null}
      {info.configured ? (
        <form
          className="row wrap"
          aria-label={`Test ${info.provider}`}
          onSubmit={(e) => {
            e.preventDefault();
            test.mutate();
          }}
        >
          <label className="inline-label">
            Model
            <input
              value={model}
              onChange={(e) => setModel(e.target.value)}
              aria-label={`Model to test ${info.provider} with`}
              placeholder="e.g. llama3.2"
              required
            />
          </label>
          <button type="submit" disabled={test.isPending || !model.trim()}>
            {test.isPending ? 'Testing…' : 'Test connection'}
          </button>
          {test.data ? (
            <span className="badge pass" role="status">
              ✓ {test.data.model} answered in {formatMs(test.data.latencyMs)}
            </span>
          ) : null}
        </form>
      ) : null}
      {test.error ? <ProblemView error={test.error} /> : null}
    </li>
  );
}

interface HeaderRow {
  name: string;
  value: string;
}

function ConfigureProvider({ info, onClose }: { info: ProviderInfo | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(info?.provider ?? '');
  const [kind, setKind] = useState<WireKind>(info && info.kind !== 'mock' ? info.kind : 'openai-compatible');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState(info?.baseUrl ?? '');
  const [replaceHeaders, setReplaceHeaders] = useState(!info || info.headerNames.length === 0);
  const [headers, setHeaders] = useState<HeaderRow[]>(
    info?.headerNames.length ? info.headerNames.map((n) => ({ name: n, value: '' })) : [],
  );
  const stored = info?.updatedAt != null;
  const builtIn = info !== null && info.provider === info.kind;
  const needsUrl = kind === 'openai-compatible';
  const save = useMutation({
    mutationFn: () => {
      const body: ProviderCredentialRequest = {};
      if (!builtIn) body.kind = kind;
      if (apiKey) body.apiKey = apiKey;
      const url = baseUrl.trim();
      if (url) body.baseUrl = url;
      else if (info?.baseUrl) body.baseUrl = null;
      if (replaceHeaders) {
        const rows = headers.filter((h) => h.name.trim());
        body.headers = rows.length ? Object.fromEntries(rows.map((h) => [h.name.trim(), h.value])) : null;
        if (!rows.length && !info?.headerNames.length) delete body.headers;
      }
      return providersApi.configure(name.trim(), body);
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['providers'] });
      onClose();
    },
  });
  return (
    <FormDialog
      title={info ? `Configure ${info.provider}` : 'Add a provider'}
      wide
      pending={save.isPending}
      error={save.error}
      onSubmit={() => save.mutate()}
      onClose={onClose}
    >
      {info ? null : (
        <div className="row wrap">
          <label className="grow">
            Name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. ollama, azure"
              pattern="[a-z0-9][a-z0-9_\-]*"
              required
            />
          </label>
          <label>
            Speaks
            <select value={kind} onChange={(e) => setKind(e.target.value as WireKind)}>
              <option value="openai-compatible">OpenAI-compatible API</option>
              <option value="openai">OpenAI</option>
              <option value="anthropic">Anthropic</option>
              <option value="gemini">Gemini</option>
            </select>
          </label>
        </div>
      )}
      <label>
        API key{needsUrl ? ' (if the server needs one)' : ''}
        <input
          type="password"
          autoComplete="off"
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
          placeholder={
            stored ? `Leave empty to keep the stored key${info?.keyHint ? ` (${info.keyHint})` : ''}` : ''
          }
          required={!stored && !needsUrl}
        />
      </label>
      <label>
        Base URL{needsUrl ? '' : ' (optional: a proxy or a regional endpoint)'}
        <input
          type="url"
          value={baseUrl}
          onChange={(e) => setBaseUrl(e.target.value)}
          placeholder="e.g. http://127.0.0.1:11434/v1"
          required={needsUrl}
        />
      </label>
      <fieldset className="stack">
        <legend>Extra request headers (stored encrypted, e.g. Azure’s api-key)</legend>
        {!replaceHeaders ? (
          <div className="row">
            <span className="grow mono">{info?.headerNames.join(', ')} (values hidden)</span>
            <button type="button" onClick={() => setReplaceHeaders(true)}>
              Replace headers…
            </button>
          </div>
        ) : (
          <>
            {headers.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions being edited
              <div className="row" key={i}>
                <input
                  aria-label={`Header ${i + 1} name`}
                  value={h.name}
                  placeholder="e.g. api-key"
                  onChange={(e) =>
                    setHeaders(headers.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))
                  }
                />
                <input
                  className="grow"
                  type="password"
                  autoComplete="off"
                  aria-label={`Header ${i + 1} value`}
                  value={h.value}
                  placeholder="value"
                  onChange={(e) =>
                    setHeaders(headers.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))
                  }
                />
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Remove header ${i + 1}`}
                  onClick={() => setHeaders(headers.filter((_, j) => j !== i))}
                >
                  ✕
                </button>
              </div>
            ))}
            <div>
              <button type="button" onClick={() => setHeaders([...headers, { name: '', value: '' }])}>
                Add header
              </button>
            </div>
            {info?.headerNames.length ? (
              <p className="muted small">
                Saving replaces every stored header with these (none clears them).
              </p>
            ) : null}
          </>
        )}
      </fieldset>
    </FormDialog>
  );
}

function RemoveProvider({ info, onClose }: { info: ProviderInfo; onClose: () => void }) {
  return (
    <ConfirmAction
      title={`Remove ${info.provider}’s credentials?`}
      confirmLabel="Remove"
      action={() => providersApi.remove(info.provider)}
      invalidate={[['providers']]}
      onClose={onClose}
    >
      <p>Playground runs and eval runs on {info.provider} fail until credentials are stored again.</p>
    </ConfirmAction>
  );
}
