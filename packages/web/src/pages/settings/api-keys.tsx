import type { ApiKey, CreatedApiKey, Role } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { keysApi } from '../../api/admin.ts';
import { CopyButton } from '../../components/copy-button.tsx';
import { ConfirmAction } from '../../components/dialog.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { formatAgo, formatTime } from '../../lib/format.ts';
import {
  describeLimits,
  KeyLimitsFields,
  type KeyLimitsInput,
  limitsBody,
  NO_LIMITS,
  RotateKey,
} from './api-key-limits.tsx';

const ROLES: { role: Role; what: string }[] = [
  { role: 'viewer', what: 'reads everything, changes nothing (dashboards, SDKs that only resolve)' },
  { role: 'reviewer', what: 'a viewer who may also approve deployment requests' },
  { role: 'editor', what: 'also writes prompts, versions, deployments, datasets and eval runs' },
  { role: 'admin', what: 'also manages API keys and provider credentials' },
];

/** API keys of the project: who can call Promptline, with which role. URL: `/settings/api-keys`. */
export function ApiKeysPage() {
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: keysApi.list });
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  return (
    <div className="stack">
      <CreateKey onCreated={setCreated} />
      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}
      <QueryView query={keys} loadingLabel="Loading API keys…">
        {(items) => {
          const revoked = items.filter((k) => k.revokedAt).length;
          const visible = items.filter((k) => showRevoked || !k.revokedAt);
          return (
            <section className="stack">
              <div className="toolbar">
                <h2 className="grow">Keys</h2>
                {revoked > 0 ? (
                  <label className="inline">
                    <input
                      type="checkbox"
                      checked={showRevoked}
                      onChange={(e) => setShowRevoked(e.target.checked)}
                    />
                    Show {revoked} revoked
                  </label>
                ) : null}
              </div>
              {visible.length === 0 ? (
                <Empty title="No API keys">Create one above.</Empty>
              ) : (
                <table className="table" aria-label="API keys">
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Role</th>
                      <th>Key</th>
                      <th>Created</th>
                      <th>Last used</th>
                      <th>Limits</th>
                      <th>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {visible.map((k) => (
                      <tr key={k.id} className={k.revokedAt ? 'muted' : ''}>
                        <td>{k.name}</td>
                        <td>
                          <span className="badge">{k.role}</span>
                        </td>
                        <td className="mono small">{k.prefix}…</td>
                        <td title={k.createdAt}>{formatTime(k.createdAt)}</td>
                        <td title={k.lastUsedAt ?? ''}>{k.lastUsedAt ? formatAgo(k.lastUsedAt) : 'never'}</td>
                        <td className="small">{describeLimits(k)}</td>
                        <td className="right">
                          {k.revokedAt ? (
                            <span className="badge fail" title={k.revokedAt}>
                              revoked {formatAgo(k.revokedAt)}
                            </span>
                          ) : (
                            <span className="row end">
                              <button
                                type="button"
                                className="small"
                                aria-label={`Rotate ${k.name}`}
                                onClick={() => setRotating(k)}
                              >
                                Rotate
                              </button>
                              <button
                                type="button"
                                className="danger small"
                                aria-label={`Revoke ${k.name}`}
                                onClick={() => setRevoking(k)}
                              >
                                Revoke
                              </button>
                            </span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          );
        }}
      </QueryView>
      {revoking ? <RevokeKey apiKey={revoking} onClose={() => setRevoking(null)} /> : null}
      {rotating ? (
        <RotateKey apiKey={rotating} onClose={() => setRotating(null)} onRotated={setCreated} />
      ) : null}
    </div>
  );
}

function CreateKey({ onCreated }: { onCreated: (k: CreatedApiKey) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [limits, setLimits] = useState<KeyLimitsInput>(NO_LIMITS);
  const create = useMutation({
    mutationFn: () =>
      keysApi.create({ name: name.trim(), role: limits.readOnly ? 'viewer' : role, ...limitsBody(limits) }),
    onSuccess: async (k) => {
      setName('');
      setLimits(NO_LIMITS);
      onCreated(k);
      await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Create an API key">
      <h2>Create an API key</h2>
      <div className="row wrap">
        <label className="grow">
          Name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. ci-pipeline"
            required
            maxLength={200}
          />
        </label>
        <label>
          Role
          <select
            value={limits.readOnly ? 'viewer' : role}
            disabled={limits.readOnly}
            onChange={(e) => setRole(e.target.value as Role)}
          >
            {ROLES.map((r) => (
              <option key={r.role} value={r.role}>
                {r.role}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small">
        {role}: {ROLES.find((r) => r.role === role)?.what}.
      </p>
      <KeyLimitsFields value={limits} onChange={setLimits} />
      <div className="row end">
        <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {create.error ? <ProblemView error={create.error} /> : null}
    </form>
  );
}

function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <section className="card stack new-key" aria-label="New API key" data-testid="new-key">
      <strong>
        Key “{created.name}” ({created.role}) {created.rotatedFrom ? 'rotated' : 'created'}. Copy it now: it
        is shown only once.
      </strong>
      <div className="row">
        <code className="grow secret" data-testid="new-key-value">
          {created.key}
        </code>
        <CopyButton text={created.key} label="Copy key" />
      </div>
      <div className="row end">
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

function RevokeKey({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  return (
    <ConfirmAction
      title={`Revoke “${apiKey.name}”?`}
      confirmLabel="Revoke key"
      action={() => keysApi.revoke(apiKey.id)}
      invalidate={[['api-keys']]}
      onClose={onClose}
    >
      <p>
        Programs using the {apiKey.role} key <code>{apiKey.prefix}…</code> stop working. This cannot be
        undone: create a new key to give access again.
      </p>
    </ConfirmAction>
  );
}
