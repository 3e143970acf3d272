import type { CreatedInvitation, Invitation, Role } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { peopleApi } from '../../api/people.ts';
import { CreateForm, ItemTable, ShownOnce } from '../../components/sections.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { formatTime } from '../../lib/format.ts';

const ROLES: Role[] = ['viewer', 'reviewer', 'editor', 'admin'];

/** Members of the project and invitations (one-time links). URL: `/settings/people`. */
export function PeoplePage() {
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: ['invitations'], queryFn: peopleApi.invitations });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const invite = useMutation({
    mutationFn: () => peopleApi.invite({ email: email.trim(), role }),
    onSuccess: async (inv) => {
      setEmail('');
      setCreated(inv);
      await queryClient.invalidateQueries({ queryKey: ['invitations'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => peopleApi.revokeInvitation(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['invitations'] }),
  });
  const link = created ? `${window.location.origin}${created.path}` : '';
  return (
    <div className="stack">
      <CreateForm
        title="Invite someone"
        submitLabel="Create invitation link"
        pendingLabel="Inviting…"
        pending={invite.isPending}
        disabled={!email.trim()}
        error={invite.error}
        onSubmit={() => invite.mutate()}
      >
        <div className="row wrap">
          <label className="grow">
            Email
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        </div>
      </CreateForm>
      {created ? (
        <ShownOnce label="Invitation link" value={link} valueTestId="invitation-link" copyLabel="Copy link">
          Send this link to {created.email}. It works once, until {formatTime(created.expiresAt)}, and is not
          shown again.
        </ShownOnce>
      ) : null}
      <QueryView query={invitations} loadingLabel="Loading invitations…">
        {(items: Invitation[]) =>
          items.length === 0 ? (
            <Empty title="No invitations">Invite someone above.</Empty>
          ) : (
            <ItemTable label="Invitations" columns={['Email', 'Role', 'Status', 'Expires']}>
              {items.map((inv) => (
                <tr key={inv.id}>
                  <td>{inv.email}</td>
                  <td>
                    <span className="badge">{inv.role}</span>
                  </td>
                  <td>{inv.status}</td>
                  <td title={inv.expiresAt}>{formatTime(inv.expiresAt)}</td>
                  <td className="right">
                    {inv.status === 'pending' ? (
                      <button
                        type="button"
                        className="danger small"
                        aria-label={`Revoke the invitation of ${inv.email}`}
                        onClick={() => revoke.mutate(inv.id)}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </ItemTable>
          )
        }
      </QueryView>
      <MembersTable />
    </div>
  );
}

/** The project's members: change a role or remove someone (admins; the last admin is kept). */
function MembersTable() {
  const queryClient = useQueryClient();
  const members = useQuery({ queryKey: ['members'], queryFn: peopleApi.members });
  const done = () => queryClient.invalidateQueries({ queryKey: ['members'] });
  const change = useMutation({
    mutationFn: ({ email, role }: { email: string; role: Role }) => peopleApi.putMember(email, role),
    onSettled: done,
  });
  const remove = useMutation({
    mutationFn: (userId: number) => peopleApi.removeMember(userId),
    onSettled: done,
  });
  const error = change.error ?? remove.error;
  return (
    <QueryView query={members} loadingLabel="Loading members…">
      {(items) => (
        <section className="stack">
          {error ? <ProblemView error={error} /> : null}
          <ItemTable label="Members" columns={['Member', 'Role', 'Status']}>
            {items.map((m) => (
              <tr key={m.user.id}>
                <td>
                  {m.user.name} <span className="muted small">{m.user.email}</span>
                </td>
                <td>
                  <select
                    aria-label={`Role of ${m.user.email}`}
                    value={m.role}
                    disabled={change.isPending}
                    onChange={(e) => change.mutate({ email: m.user.email, role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{m.user.status}</td>
                <td className="right">
                  <button
                    type="button"
                    className="danger small"
                    aria-label={`Remove ${m.user.email}`}
                    disabled={remove.isPending}
                    onClick={() => remove.mutate(m.user.id)}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </ItemTable>
        </section>
      )}
    </QueryView>
  );
}
