import type { ReactNode } from 'react';

/** A labelled monospace text area (JSON, an expected answer) whose value the caller holds. */
export function CodeField({
  label,
  rows,
  value,
  onChange,
  placeholder,
}: {
  label: ReactNode;
  rows: number;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
}) {
  return (
    <label>
      {label}
      <textarea
        className="mono"
        rows={rows}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
      />
    </label>
  );
}
