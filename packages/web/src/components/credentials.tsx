/** What the sign-in, first-run, invitation and account pages share: the card and the credential fields. */
import type { ReactNode } from 'react';

/** The centred card of the pages shown before one is signed in. */
export function SignInCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="sign-in">
      <div className="card sign-in-card">
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}

/**
 * A labelled secret input (password, API key). `autoComplete` tells the password manager which it
 * is: `current-password` to fill one in, `new-password` to offer one, `off` for an API key.
 */
export function SecretField({
  label,
  value,
  onChange,
  autoComplete,
  minLength,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password' | 'off';
  minLength?: number;
}) {
  return (
    <label>
      {label}
      <input
        type="password"
        autoComplete={autoComplete}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        minLength={minLength}
        required
      />
    </label>
  );
}

/** The email that names an account (the password manager's user name). */
export function EmailField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label>
      Email
      <input
        type="email"
        autoComplete="username"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
      />
    </label>
  );
}
