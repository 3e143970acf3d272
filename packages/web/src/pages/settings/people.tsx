import type { CreatedInvitation, Invitation, Role } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { peopleApi } from '../../api/people.ts';
import { CopyButton } from '../../components/copy-button.tsx';
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
  const submit = (e: FormEvent) => {
    e.preventDefault();
    invite.mutate();
  };
  const link = created ? `${window.location.origin}${created.path}` : '';
  return (
    <div className="stack">
      <form className="card form" onSubmit={submit} aria-label="Invite someone">
        <h2>Invite someone</h2>
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
        <div className="row end">
          <button type="submit" className="primary" disabled={invite.isPending || !email.trim()}>
            {invite.isPending ? 'Inviting…' : 'Create invitation link'}
          </button>
        </div>
        {invite.error ? <ProblemView error={invite.error} /> : null}
      </form>
      {created ? (
        <section className="card stack" aria-label="Invitation link">
          <strong>
            Send this link to {created.email}. It works once, until {formatTime(created.expiresAt)}, and is
            not shown again.
          </strong>
          <div className="row">
            <code className="grow secret" data-testid="invitation-link">
              {link}
            </code>
            <CopyButton text={link} label="Copy link" />
          </div>
        </section>
      ) : null}
      <QueryView query={invitations} loadingLabel="Loading invitations…">
        {(items: Invitation[]) =>
          items.length === 0 ? (
            <Empty title="No invitations">Invite someone above.</Empty>
          ) : (
            <table className="table" aria-label="Invitations">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Expires</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
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
          <table className="table" aria-label="Members">
            <thead>
              <tr>
                <th>Member</th>
                <th>Role</th>
                <th>Status</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </section>
      )}
    </QueryView>
  );
}
