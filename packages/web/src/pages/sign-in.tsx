import { type FormEvent, useEffect, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import {
  confirmSession,
  fetchSignInMethods,
  type SignInMethods,
  signIn,
  signInWithPassword,
} from '../api/auth.ts';
import { api } from '../api/client.ts';
import { peopleApi } from '../api/people.ts';
import { EmailField, SecretField, SignInCard } from '../components/credentials.tsx';
import { ProblemView } from '../components/states.tsx';

/** Only same-app paths: an open redirect through ?next= would be a phishing aid. */
const sameAppPath = (next: string | null) => (next?.startsWith('/') && !next.startsWith('//') ? next : '/');

/** Why single sign-on was refused, in words (the server redirects here with `?error=<code>`). */
const SSO_ERRORS: Record<string, string> = {
  SSO_STATE_INVALID: 'This sign-in expired or did not start in this browser. Try again.',
  SSO_FAILED: 'The identity provider’s answer could not be verified. Try again, or ask your administrator.',
  SSO_EMAIL_UNVERIFIED: 'Your identity provider has not verified your email address.',
  SSO_DOMAIN_NOT_ALLOWED: 'Accounts of your email domain may not sign in here. Use your work account.',
  ACCOUNT_NOT_ALLOWED: 'This account may not sign in here. Ask an admin to add you to a project.',
  SSO_NOT_CONFIGURED: 'Single sign-on is not configured on this server.',
};

/**
 * A form's sign-in attempt: `busy` while it runs, then on to `next`, or the refusal kept in `error`
 * (the page shows it where the form is).
 */
function useSignInAttempt(next: string, attempt: () => Promise<unknown>) {
  const [, navigate] = useLocation();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await attempt();
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, submit };
}

/** Email and password, for people an admin or an invitation gave one. */
function PasswordForm({ next }: { next: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSignInAttempt(next, () => signInWithPassword(email.trim(), password));
  return (
    <form className="sign-in-form" onSubmit={submit}>
      <EmailField value={email} onChange={setEmail} />
      <SecretField label="Password" autoComplete="current-password" value={password} onChange={setPassword} />
      <button type="submit" className="primary" disabled={busy || email.trim() === '' || password === ''}>
        {busy ? 'Checking…' : 'Continue'}
      </button>
      {error ? <ProblemView error={error} /> : null}
    </form>
  );
}

/**
 * Sign in: single sign-on when the server offers it, email and password, or an API key
 * (`PROMPTLINE_API_KEY` of the server, or one created with the CLI).
 */
export function SignInPage() {
  const [, navigate] = useLocation();
  const search = useSearch();
  const params = new URLSearchParams(search);
  const next = sameAppPath(params.get('next'));
  const ssoError = params.get('error');
  const ssoDone = params.get('signed_in') !== null;
  const [methods, setMethods] = useState<SignInMethods | null>(null);
  const [key, setKey] = useState('');
  const { error, setError, busy, submit } = useSignInAttempt(next, () =>
    signIn(key.trim(), () => api.listEnvironments()),
  );

  const [firstRun, setFirstRun] = useState(false);
  useEffect(() => {
    let live = true;
    void fetchSignInMethods().then((m) => {
      if (live) setMethods(m);
    });
    peopleApi.setupNeeded().then(
      (needed) => {
        if (live) setFirstRun(needed);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);

  // Back from the identity provider with the session cookie set: confirm it and go on.
  useEffect(() => {
    if (!ssoDone) return;
    confirmSession().then(
      () => navigate(next, { replace: true }),
      (err: unknown) => setError(err),
    );
  }, [ssoDone, next, navigate, setError]);

  return (
    <SignInCard title="Promptline">
      {firstRun ? (
        <div className="state" role="note">
          <strong>No admin yet</strong>
          <p>
            This server has no admin account. <a href="/setup">Create the first admin</a>.
          </p>
        </div>
      ) : null}
      {ssoError ? (
        <div className="state state-error" role="alert">
          <strong>Single sign-on failed</strong>
          <p>{SSO_ERRORS[ssoError] ?? 'The sign-in was refused.'}</p>
          <small className="muted">{ssoError}</small>
        </div>
      ) : null}
      {methods?.sso ? (
        <a className="button primary sign-in-sso" href={`/auth/oidc/login?next=${encodeURIComponent(next)}`}>
          Sign in with SSO
        </a>
      ) : null}
      {methods?.password ? <PasswordForm next={next} /> : null}
      <form className="sign-in-form" onSubmit={submit}>
        <p className="muted small sign-in-or">
          {methods?.sso || methods?.password ? 'or with an API key' : 'Sign in with an API key.'}
        </p>
        <SecretField label="API key" autoComplete="off" value={key} onChange={setKey} />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? <ProblemView error={error} /> : null}
        <p className="muted small">
          A fresh server registers the key given in <code>PROMPTLINE_API_KEY</code> at start.
        </p>
      </form>
    </SignInCard>
  );
}
