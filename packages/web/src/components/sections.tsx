/**
 * The shells the settings pages share: the card form that creates an item, the table of items with
 * a row of actions, and the card that shows a secret once.
 */
import type { ReactNode } from 'react';
import { CopyButton } from './copy-button.tsx';
import { ProblemView } from './states.tsx';

/**
 * A card form whose heading is its accessible name (`title`); below the fields, `note` and the
 * submit button (which reads `pendingLabel` and waits while `pending`), then the server's refusal.
 */
export function CreateForm({
  title,
  submitLabel,
  pendingLabel = 'Creating…',
  pending,
  disabled = false,
  error,
  note,
  onSubmit,
  children,
}: {
  title: string;
  submitLabel: string;
  pendingLabel?: string;
  pending: boolean;
  /** The submit button is off for this reason too (e.g. a required field left empty). */
  disabled?: boolean;
  error: unknown;
  note?: ReactNode;
  onSubmit: () => void;
  children: ReactNode;
}) {
  return (
    <form
      className="card form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      aria-label={title}
    >
      <h2>{title}</h2>
      {children}
      <div className="row end">
        {note ? <span className="muted small grow">{note}</span> : null}
        <button type="submit" className="primary" disabled={pending || disabled}>
          {pending ? pendingLabel : submitLabel}
        </button>
      </div>
      {error ? <ProblemView error={error} /> : null}
    </form>
  );
}

/** A table named `label` with the given column headings and a last column of row actions. */
export function ItemTable({
  label,
  columns,
  compact = false,
  children,
}: {
  label: string;
  columns: readonly string[];
  /** Tighter rows, for a table nested in another's row. */
  compact?: boolean;
  children: ReactNode;
}) {
  return (
    <table className={compact ? 'table compact' : 'table'} aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
          <th>
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/**
 * A secret the server shows only once (a key, a signing secret, a link): `children` say what it
 * is, then the value with its copy button, then a `doneLabel` button when `onDone` is given.
 * `highlight` marks the card with the warning border of a credential.
 */
export function ShownOnce({
  label,
  testId,
  value,
  valueTestId,
  copyLabel,
  highlight = false,
  onDone,
  doneLabel = 'Done',
  children,
}: {
  label: string;
  testId?: string;
  /** null: nothing to copy (e.g. a Slack webhook has no signing secret). */
  value: string | null;
  valueTestId: string;
  copyLabel: string;
  highlight?: boolean;
  onDone?: () => void;
  doneLabel?: string;
  children: ReactNode;
}) {
  return (
    <section
      className={highlight ? 'card stack new-key' : 'card stack'}
      aria-label={label}
      data-testid={testId}
    >
      <strong>{children}</strong>
      {value ? (
        <div className="row">
          <code className="grow secret" data-testid={valueTestId}>
            {value}
          </code>
          <CopyButton text={value} label={copyLabel} />
        </div>
      ) : null}
      {onDone ? (
        <div className="row end">
          <button type="button" onClick={onDone}>
            {doneLabel}
          </button>
        </div>
      ) : null}
    </section>
  );
}
