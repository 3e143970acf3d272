import { type ReactNode, useEffect, useId, useRef } from 'react';

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
