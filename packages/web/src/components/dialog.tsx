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
