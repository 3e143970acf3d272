import type { ChatMessage, Prompt, TextDiffPart, VersionDiff } from '@promptline/core';
import { diffSide, isUnchangedDiff } from '@promptline/core/browser';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { Empty, Loading, ProblemView } from '../../components/states.tsx';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { useVersions } from './editor-tab.tsx';

/** Diff of two versions (`?from=&to=&view=split|unified`): text or messages word by word, config and variables. */
export function DiffTab({ prompt }: { prompt: Prompt }) {
  const versions = useVersions(prompt.name);
  const [params, setParams] = useQueryParams();
  const numbers = (versions.data ?? []).map((v) => v.number);
  const to = Number(params.to) || numbers[0] || 0;
  const from = Number(params.from) || numbers.find((n) => n < to) || to;
  const view = params.view === 'unified' ? 'unified' : 'split';
  const diff = useQuery({
    queryKey: ['diff', prompt.name, from, to],
    queryFn: () => api.diff(prompt.name, from, to),
    enabled: from > 0 && to > 0,
  });

  if (versions.error) return <ProblemView error={versions.error} />;
  if (versions.isPending) return <Loading />;
  if (numbers.length < 2)
    return (
      <Empty title="Nothing to compare yet">
        A diff needs two versions: save another one in the Editor tab.
      </Empty>
    );

  const select = (key: 'from' | 'to', value: number) => (
    <select
      aria-label={key === 'from' ? 'From version' : 'To version'}
      value={value}
      onChange={(e) => setParams({ [key]: e.target.value }, true)}
    >
      {numbers.map((n) => (
        <option key={n} value={n}>
          v{n}
        </option>
      ))}
    </select>
  );

  return (
    <div>
      <div className="toolbar">
        <span className="inline-label">From {select('from', from)}</span>
        <span className="inline-label">To {select('to', to)}</span>
        <span className="grow" />
        <fieldset className="segmented" aria-label="Diff layout">
          <legend className="sr-only">Diff layout</legend>
          {(['split', 'unified'] as const).map((v) => (
            <label key={v} className={view === v ? 'active' : ''}>
              <input
                type="radio"
                name="diff-view"
                checked={view === v}
                onChange={() => setParams({ view: v === 'split' ? null : v }, true)}
              />
              {v === 'split' ? 'Side by side' : 'Unified'}
            </label>
          ))}
        </fieldset>
      </div>
      {diff.error ? <ProblemView error={diff.error} onRetry={() => void diff.refetch()} /> : null}
      {diff.isPending ? <Loading label="Computing diff…" /> : null}
      {diff.data ? <DiffView diff={diff.data} view={view} /> : null}
    </div>
  );
}

/** Draws a structured diff from the server. */
export function DiffView({ diff, view }: { diff: VersionDiff; view: 'split' | 'unified' }) {
  const unchanged = isUnchangedDiff(diff);
  return (
    <div className="diff" data-testid="diff">
      <p className="muted">
        v{diff.from} ({diff.fromSemver}) → v{diff.to} ({diff.toSemver})
        {diff.typeChanged ? ' · type changed' : ''}
      </p>
      {unchanged ? <Empty title="These versions render the same" /> : null}
      {diff.text ? <TextDiff parts={diff.text} view={view} /> : null}
      {diff.messages ? (
        <ol className="message-diff">
          {diff.messages.map((m, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: positions are the identity of a message diff
            <li key={i} className={`message-diff-item ${m.op}`}>
              <div className="muted small">
                Message {i + 1}: {m.op} {describeMessage(m.to ?? m.from)}
              </div>
              {m.parts ? (
                <TextDiff parts={m.parts} view={view} />
              ) : (
                <div className={view === 'split' ? 'diff-split' : ''}>
                  {m.from ? <pre className="diff-pane del-pane">{messageText(m.from)}</pre> : null}
                  {m.to ? <pre className="diff-pane ins-pane">{messageText(m.to)}</pre> : null}
                </div>
              )}
            </li>
          ))}
        </ol>
      ) : null}
      {diff.variables.added.length + diff.variables.removed.length > 0 ? (
        <section>
          <h3>Variables</h3>
          <ul className="plain">
            {diff.variables.added.map((v) => (
              <li key={`+${v}`} className="ins">
                + <code>{v}</code>
              </li>
            ))}
            {diff.variables.removed.map((v) => (
              <li key={`-${v}`} className="del">
                − <code>{v}</code>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {diff.config.length > 0 ? (
        <section>
          <h3>Config changes</h3>
          <table className="table" aria-label="Config changes">
            <thead>
              <tr>
                <th>Key</th>
                <th>Change</th>
                <th>From</th>
                <th>To</th>
              </tr>
            </thead>
            <tbody>
              {diff.config.map((c) => (
                <tr key={c.key}>
                  <td>
                    <code>{c.key}</code>
                  </td>
                  <td>{c.op}</td>
                  <td className="del">{c.from === undefined ? '' : JSON.stringify(c.from)}</td>
                  <td className="ins">{c.to === undefined ? '' : JSON.stringify(c.to)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}

function describeMessage(m: ChatMessage | null): string {
  if (!m) return '';
  return 'type' in m ? `(placeholder ${m.name})` : `(${m.role})`;
}

function messageText(m: ChatMessage): string {
  return 'type' in m ? `{{> placeholder ${m.name}}}` : m.content;
}

function TextDiff({ parts, view }: { parts: TextDiffPart[]; view: 'split' | 'unified' }) {
  if (view === 'unified') {
    return (
      <section className="diff-pane unified" aria-label="Unified diff">
        {parts.map((p, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts have no identity but their order
          <Part key={i} part={p} />
        ))}
      </section>
    );
  }
  return (
    <div className="diff-split">
      <section className="diff-pane" aria-label="Before">
        {diffSide(parts, 'before').map((p, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts have no identity but their order
          <Part key={i} part={p} />
        ))}
      </section>
      <section className="diff-pane" aria-label="After">
        {diffSide(parts, 'after').map((p, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts have no identity but their order
          <Part key={i} part={p} />
        ))}
      </section>
    </div>
  );
}

function Part({ part }: { part: TextDiffPart }) {
  if (part.op === 'insert') return <ins>{part.text}</ins>;
  if (part.op === 'delete') return <del>{part.text}</del>;
  return <span>{part.text}</span>;
}
