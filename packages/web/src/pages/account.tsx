import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { peopleApi } from '../api/people.ts';
import { SecretField } from '../components/credentials.tsx';
import { ProblemView } from '../components/states.tsx';

/** `/account`: change your own password (the current one is required). */
export default function AccountPage() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const change = useMutation({
    mutationFn: () => peopleApi.changePassword({ currentPassword: current, newPassword: next }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setDone(true);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    change.mutate();
  };
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Your account</h1>
      </div>
      <form className="card form" onSubmit={submit} aria-label="Change your password">
        <h2>Change your password</h2>
        <SecretField
          label="Current password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
        />
        <SecretField
          label="New password (at least 12 characters)"
          autoComplete="new-password"
          value={next}
          onChange={setNext}
          minLength={12}
        />
        <p className="muted small">Your other sessions are signed out; this one stays signed in.</p>
        <div className="row end">
          <button
            type="submit"
            className="primary"
            disabled={change.isPending || !current || next.length < 12}
          >
            {change.isPending ? 'Changing…' : 'Change password'}
          </button>
        </div>
        {done ? (
          <p role="status" className="ok">
            Password changed.
          </p>
        ) : null}
        {change.error ? <ProblemView error={change.error} /> : null}
      </form>
    </div>
  );
}
