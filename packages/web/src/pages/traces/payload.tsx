/** A span's input or output, readable: chat messages as a conversation, text as text, JSON folded. */

interface Message {
  role: string;
  content: unknown;
}

const isMessages = (value: unknown): value is Message[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every(
    (m) => typeof m === 'object' && m !== null && typeof (m as { role?: unknown }).role === 'string',
  );

/** Message content: a string, or parts (`[{type:'text', text}]`) joined. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        typeof p === 'object' && p !== null && 'text' in p
          ? String((p as { text: unknown }).text)
          : JSON.stringify(p),
      )
      .join('\n');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content, null, 2);
}

/** JSON folded: objects and arrays as `<details>`, open at the top level. */
function JsonTree({ value, depth = 0, label }: { value: unknown; depth?: number; label?: string }) {
  if (typeof value !== 'object' || value === null) {
    return (
      <div className="json-leaf">
        {label ? <span className="json-key">{label}: </span> : null}
        <span className="mono">{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return (
    <details open={depth < 2} className="json-node">
      <summary>
        {label ? <span className="json-key">{label}: </span> : null}
        <span className="muted">{Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}</span>
      </summary>
      {entries.map(([k, v]) => (
        <JsonTree key={k} label={k} value={v} depth={depth + 1} />
      ))}
    </details>
  );
}

export function Payload({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null)
    return <p className="muted">No {label.toLowerCase()} recorded.</p>;
  if (isMessages(value)) {
    return (
      <ol className="plain conversation" aria-label={label}>
        {value.map((m, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: messages have no id; their order is their identity
          <li key={i} className={`message role-${m.role}`}>
            <span className="badge">{m.role}</span>
            <pre className="message-text">{contentText(m.content)}</pre>
          </li>
        ))}
      </ol>
    );
  }
  if (typeof value === 'string') {
    return (
      <pre className="output" data-label={label}>
        {value}
      </pre>
    );
  }
  return (
    <div className="json" data-label={label}>
      <JsonTree value={value} />
    </div>
  );
}
