import { type QueryKey, useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useRef } from 'react';
import { ProblemView } from './states.tsx';

/**
 * A modal `<dialog>` opened on mount: focus is trapped and Escape closes it (native), a click on
 * the backdrop closes it too. `onClose` runs however it was closed.
 */
export function Modal({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: (close: () => void) => ReactNode;
  wide?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  const close = () => dialog.current?.close();
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape closes a modal dialog natively
    <dialog
      ref={dialog}
      className={wide ? 'dialog wide' : 'dialog'}
      aria-labelledby={id}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === dialog.current) close();
      }}
    >
      <h2 id={id}>{title}</h2>
      {children(close)}
    </dialog>
  );
}

/**
 * A {@link Modal} holding one form: the fields are the children, then the server's refusal (if
 * any), then Cancel and the submit button, which reads "Saving…" and waits while `pending`.
 * `onSubmit` gets `close` for callers that close only once their mutation succeeded.
 */
export function FormDialog({
  title,
  label,
  wide = false,
  submitLabel = 'Save',
  pending,
  disabled = false,
  error,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  /** The form's accessible name, where the page has several forms to tell apart. */
  label?: string;
  wide?: boolean;
  submitLabel?: string;
  pending: boolean;
  /** The submit button is off for this reason too (e.g. a required field left empty). */
  disabled?: boolean;
  /** The server's refusal of the last submit, shown as its problem; null or undefined for none. */
  error: unknown;
  onSubmit: (close: () => void) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Modal title={title} onClose={onClose} wide={wide}>
      {(close) => (
        <form
          className="form"
          aria-label={label}
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit(close);
          }}
        >
          {children}
          {error ? <ProblemView error={error} /> : null}
          <div className="row end">
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={pending || disabled}>
              {pending ? 'Saving…' : submitLabel}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** Asks before something that cannot be undone; `onConfirm` may be async (the button waits). */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  pending,
  onConfirm,
  onClose,
  error,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pending: boolean;
  onConfirm: () => void;
  onClose: () => void;
  error?: ReactNode;
}) {
  return (
    <Modal title={title} onClose={onClose}>
      {(close) => (
        <form
          method="dialog"
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            onConfirm();
          }}
        >
          <div>{children}</div>
          {error}
          <div className="row end">
            <button type="button" onClick={close}>
              Cancel
            </button>
            <button type="submit" className="danger" disabled={pending}>
              {pending ? 'Working…' : confirmLabel}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/**
 * A {@link ConfirmDialog} that runs one server action: while it runs the button waits; on success
 * the `invalidate` queries are read again, `onDone` runs (e.g. to navigate away) and the dialog
 * closes; a refusal is shown in the dialog as the server's problem, and the dialog stays open.
 */
export function ConfirmAction<T>({
  title,
  confirmLabel,
  action,
  invalidate = [],
  onDone,
  onClose,
  children,
}: {
  title: string;
  confirmLabel: string;
  action: () => Promise<T>;
  invalidate?: readonly QueryKey[];
  onDone?: (result: T) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const client = useQueryClient();
  const run = useMutation({
    mutationFn: action,
    onSuccess: async (result) => {
      // onDone first: a page that navigates away must not ask again for what was just deleted.
      onDone?.(result);
      await Promise.all(invalidate.map((queryKey) => client.invalidateQueries({ queryKey })));
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={title}
      confirmLabel={confirmLabel}
      pending={run.isPending}
      onConfirm={() => run.mutate()}
      onClose={onClose}
      error={run.error ? <ProblemView error={run.error} /> : null}
    >
      {children}
    </ConfirmDialog>
  );
}
