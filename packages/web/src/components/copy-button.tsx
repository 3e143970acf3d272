import { useState } from 'react';

/** Copies `text` to the clipboard and says so; where the clipboard is not allowed, says how to copy by hand. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <button
      type="button"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setState('copied');
        } catch {
          // Clipboard refused (permissions, insecure origin): the button says so.
          setState('failed');
        }
      }}
    >
      {state === 'copied' ? '✓ Copied' : state === 'failed' ? 'Select it and press Ctrl+C' : label}
    </button>
  );
}
