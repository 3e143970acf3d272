import type { ApiKey, CreatedApiKey, Role } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { keysApi } from '../../api/admin.ts';
import { ConfirmAction } from '../../components/dialog.tsx';
import { CreateForm, ItemTable, ShownOnce } from '../../components/sections.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
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
                <ItemTable
                  label="API keys"
                  columns={['Name', 'Role', 'Key', 'Created', 'Last used', 'Limits']}
                >
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
                </ItemTable>
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
  return (
    <CreateForm
      title="Create an API key"
      submitLabel="Create key"
      pending={create.isPending}
      disabled={!name.trim()}
      error={create.error}
      onSubmit={() => create.mutate()}
    >
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
    </CreateForm>
  );
}

function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <ShownOnce
      label="New API key"
      testId="new-key"
      value={created.key}
      valueTestId="new-key-value"
      copyLabel="Copy key"
      highlight
      onDone={onDone}
      doneLabel="I have stored it"
    >
      Key “{created.name}” ({created.role}) {created.rotatedFrom ? 'rotated' : 'created'}. Copy it now: it is
      shown only once.
    </ShownOnce>
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
