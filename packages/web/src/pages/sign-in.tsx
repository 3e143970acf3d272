import { type FormEvent, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { signIn } from '../api/auth.ts';
import { api } from '../api/client.ts';
import { ProblemView } from '../components/states.tsx';

/** Sign in with an API key (`PROMPTLINE_API_KEY` of the server, or one created with the CLI). */
export function SignInPage() {
  const [, navigate] = useLocation();
  const search = useSearch();
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim(), () => api.listEnvironments());
      const next = new URLSearchParams(search).get('next');
      // Only same-app paths: an open redirect through ?next= would be a phishing aid.
      navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="sign-in">
      <form className="card sign-in-card" onSubmit={submit}>
        <h1>Promptline</h1>
        <p className="muted">Sign in with an API key.</p>
        <label>
          API key
          <input
            type="password"
            autoComplete="current-password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
            // biome-ignore lint/a11y/noAutofocus: the only field of the page
            autoFocus
          />
        </label>
        <button type="submit" className="primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? <ProblemView error={error} /> : null}
        <p className="muted small">
          A fresh server registers the key given in <code>PROMPTLINE_API_KEY</code> at start.
        </p>
      </form>
    </div>
  );
}
