import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { confirmSession, fetchSignInMethods } from '../api/auth.ts';
import { peopleApi } from '../api/people.ts';
import { EmailField, SecretField, SignInCard } from '../components/credentials.tsx';
import { Loading, ProblemView } from '../components/states.tsx';

/** A new password typed twice; `mismatch` while the two differ. */
function usePasswordPair() {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const fields = (
    <>
      <SecretField
        label="Password (at least 12 characters)"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
        minLength={12}
      />
      <SecretField
        label="Repeat the password"
        autoComplete="new-password"
        value={repeat}
        onChange={setRepeat}
      />
      {repeat && repeat !== password ? <p className="muted small">The two passwords differ.</p> : null}
    </>
  );
  return { password, ok: password.length >= 12 && password === repeat, fields };
}

/** `/invite/<token>`: see what the invitation offers, set a password, join. */
export function InvitePage({ token }: { token: string }) {
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const pair = usePasswordPair();
  const [current, setCurrent] = useState('');
  const preview = useQuery({
    queryKey: ['invitation', token],
    queryFn: () => peopleApi.inspect(token),
    retry: false,
  });
  const methods = useQuery({ queryKey: ['sign-in-methods'], queryFn: fetchSignInMethods });
  const accept = useMutation({
    mutationFn: async () => {
      await peopleApi.accept({
        token,
        // An existing account accepts with its password (left as it is).
        password: preview.data?.hasAccount ? current : pair.password,
        ...(name.trim() ? { name: name.trim() } : {}),
      });
      await confirmSession();
    },
    onSuccess: () => navigate('/', { replace: true }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    accept.mutate();
  };
  return (
    <SignInCard title="Join Promptline">
      {preview.isPending ? <Loading label="Checking the invitation…" /> : null}
      {preview.error ? <ProblemView error={preview.error} /> : null}
      {preview.data ? (
        <form className="sign-in-form" onSubmit={submit} aria-label="Accept the invitation">
          <p>
            <strong>{preview.data.email}</strong> is invited to the project{' '}
            <strong>{preview.data.project}</strong> as <span className="badge">{preview.data.role}</span>.
          </p>
          <label>
            Your name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={200}
              autoComplete="name"
            />
          </label>
          {preview.data.hasAccount ? (
            <SecretField
              label="Your password (you have an account: it stays as it is)"
              autoComplete="current-password"
              value={current}
              onChange={setCurrent}
            />
          ) : (
            pair.fields
          )}
          <button
            type="submit"
            className="primary"
            disabled={(preview.data.hasAccount ? !current : !pair.ok) || accept.isPending}
          >
            {accept.isPending ? 'Joining…' : preview.data.hasAccount ? 'Join' : 'Set password and join'}
          </button>
          {accept.error ? <ProblemView error={accept.error} /> : null}
          {methods.data?.sso ? (
            <p className="muted small">
              Or <a href="/sign-in">sign in</a> with single sign-on as {preview.data.email}: that accepts it
              too.
            </p>
          ) : null}
        </form>
      ) : null}
    </SignInCard>
  );
}

/** `/setup`: the first-run screen — create the first admin (only while the server has none). */
export function FirstRunPage() {
  const [, navigate] = useLocation();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [bootstrapKey, setBootstrapKey] = useState('');
  const pair = usePasswordPair();
  const needed = useQuery({ queryKey: ['setup'], queryFn: peopleApi.setupNeeded });
  const setup = useMutation({
    mutationFn: async () => {
      await peopleApi.setup({
        email: email.trim(),
        password: pair.password,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(bootstrapKey.trim() ? { bootstrapKey: bootstrapKey.trim() } : {}),
      });
      await confirmSession();
    },
    onSuccess: () => navigate('/', { replace: true }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setup.mutate();
  };
  return (
    <SignInCard title="Welcome to Promptline">
      {needed.data === false ? (
        <p>
          This server has an admin already. <a href="/sign-in">Sign in</a>, or ask an admin for an invitation.
        </p>
      ) : (
        <form className="sign-in-form" onSubmit={submit} aria-label="Create the first admin">
          <p className="muted small">
            Create the first admin account. This works once, from the server itself — or from elsewhere with
            the bootstrap key (<code>PROMPTLINE_API_KEY</code>, or the key printed at first start).
          </p>
          <EmailField value={email} onChange={setEmail} />
          <label>
            Name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={200}
              autoComplete="name"
            />
          </label>
          {pair.fields}
          <label>
            Bootstrap key (not needed on the server itself)
            <input
              type="password"
              autoComplete="off"
              value={bootstrapKey}
              onChange={(e) => setBootstrapKey(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={!pair.ok || !email.trim() || setup.isPending}>
            {setup.isPending ? 'Creating…' : 'Create admin'}
          </button>
          {setup.error ? <ProblemView error={setup.error} /> : null}
        </form>
      )}
    </SignInCard>
  );
}
