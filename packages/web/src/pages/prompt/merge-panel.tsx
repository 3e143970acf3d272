import type {
  ChatMessage,
  MergePreview,
  MergeResolution,
  MergeTextPart,
  ModelConfig,
} from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { branchesApi } from '../../api/branches.ts';
import { Loading, ProblemView } from '../../components/states.tsx';

type Side = 'ours' | 'theirs';
type Choices = Record<string, Side>;

function setPath(config: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = config;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = parts.at(-1) ?? key;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const text = (parts: readonly MergeTextPart[], choices: Choices, prefix: string): string | null => {
  let out = '';
  for (const [i, part] of parts.entries()) {
    if (part.op === 'clean') out += part.text;
    else {
      const side = choices[`${prefix}${i}`];
      if (!side) return null;
      out += part[side];
    }
  }
  return out;
};

/** The merged content and config once every conflict has a side; null while one is open. */
export function resolutionOf(preview: MergePreview, choices: Choices): MergeResolution | null {
  const config = structuredClone(preview.config) as Record<string, unknown>;
  for (const c of preview.configConflicts) {
    const side = choices[`config:${c.key}`];
    if (!side) return null;
    setPath(config, c.key, side === 'ours' ? c.ours : c.theirs);
  }
  const cfg = config as ModelConfig;
  if (preview.content) {
    const side = choices.content;
    return side ? { ...preview.content[side], config: cfg } : null;
  }
  if (preview.template) {
    const template = text(preview.template, choices, 't');
    return template === null ? null : { type: 'text', template, config: cfg };
  }
  const messages: ChatMessage[] = [];
  for (const [i, part] of (preview.messages ?? []).entries()) {
    if (part.op === 'clean') messages.push(...part.messages);
    else if (part.op === 'conflict') {
      const side = choices[`m${i}`];
      if (!side) return null;
      messages.push(...part[side]);
    } else {
      const content = text(part.parts, choices, `m${i}.`);
      if (content === null) return null;
      messages.push({ role: part.role, content } as ChatMessage);
    }
  }
  return { type: 'chat', messages, config: cfg };
}

/** Parts with the ids their choices are kept under (`t0`, `m2`, `m2.1`): a part's position is its identity. */
const withIds = <T,>(parts: readonly T[], prefix: string) =>
  parts.map((part, i) => ({ part, id: `${prefix}${i}` }));

const show = (value: unknown): string =>
  value === undefined ? '(removed)' : typeof value === 'string' ? value : JSON.stringify(value, null, 2);
const showMessages = (list: readonly ChatMessage[]): string =>
  list.map((m) => ('type' in m ? `[placeholder: ${m.name}]` : `${m.role}: ${m.content}`)).join('\n') ||
  '(none)';

function Conflict({
  id,
  ours,
  theirs,
  branch,
  choice,
  choose,
}: {
  id: string;
  ours: string;
  theirs: string;
  branch: string;
  choice: Side | undefined;
  choose: (id: string, side: Side) => void;
}) {
  return (
    <div
      className="merge-conflict"
      data-testid="merge-conflict"
      style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 8 }}
    >
      {(['ours', 'theirs'] as const).map((side) => (
        <div key={side} className={choice === side ? 'merge-side chosen' : 'merge-side'}>
          <div className="muted small">{side === 'ours' ? 'main' : branch}</div>
          <pre className="merge-text">{side === 'ours' ? ours : theirs}</pre>
          <button type="button" aria-pressed={choice === side} onClick={() => choose(id, side)}>
            Use {side === 'ours' ? 'main' : branch}
          </button>
        </div>
      ))}
    </div>
  );
}

/** Merging a branch into main: the preview, and conflicts side by side, each resolved by picking a side. */
export function MergePanel({ name, branch }: { name: string; branch: string }) {
  const client = useQueryClient();
  const preview = useQuery({
    queryKey: ['merge-preview', name, branch],
    queryFn: () => branchesApi.preview(name, branch),
  });
  const [choices, setChoices] = useState<Choices>({});
  const merge = useMutation({
    mutationFn: (p: MergePreview) => {
      const resolved = p.conflicts === 0 ? undefined : (resolutionOf(p, choices) ?? undefined);
      return branchesApi.merge(name, {
        branch,
        parents: { ours: p.ours, theirs: p.theirs },
        ...(resolved ? { resolved } : {}),
      });
    },
    // The preview and the comparison stay as they were, so the outcome stays on screen.
    onSuccess: () => {
      for (const key of ['graph', 'branches', 'prompt', 'versions'])
        void client.invalidateQueries({ queryKey: [key] });
    },
  });
  if (preview.error) return <ProblemView error={preview.error} onRetry={() => void preview.refetch()} />;
  if (preview.isPending) return <Loading label="Preparing the merge…" />;
  const p = preview.data;
  const choose = (id: string, side: Side) => setChoices((c) => ({ ...c, [id]: side }));
  const ready = p.conflicts === 0 || resolutionOf(p, choices) !== null;
  return (
    <section className="merge-panel" aria-label={`Merge ${branch}`}>
      <h3>
        Merge {branch} into main (base v{p.base ?? '–'}, main v{p.ours}, {branch} v{p.theirs})
      </h3>
      <p className="muted" data-testid="merge-status">
        {p.conflicts === 0 ? 'Merges cleanly.' : `${p.conflicts} conflict(s): pick a side for each.`}
      </p>
      {withIds(p.template ?? [], 't').map(({ part, id }) =>
        part.op === 'clean' ? (
          <pre key={id} className="merge-text">
            {part.text}
          </pre>
        ) : (
          <Conflict
            key={id}
            id={id}
            ours={part.ours}
            theirs={part.theirs}
            branch={branch}
            choice={choices[id]}
            choose={choose}
          />
        ),
      )}
      {withIds(p.messages ?? [], 'm').map(({ part, id }) =>
        part.op === 'clean' ? (
          <pre key={id} className="merge-text">
            {showMessages(part.messages)}
          </pre>
        ) : part.op === 'conflict' ? (
          <Conflict
            key={id}
            id={id}
            ours={showMessages(part.ours)}
            theirs={showMessages(part.theirs)}
            branch={branch}
            choice={choices[id]}
            choose={choose}
          />
        ) : (
          <div key={id}>
            <div className="muted small">{part.role}</div>
            {withIds(part.parts, `${id}.`).map(({ part: inner, id: innerId }) =>
              inner.op === 'clean' ? (
                <pre key={innerId} className="merge-text">
                  {inner.text}
                </pre>
              ) : (
                <Conflict
                  key={innerId}
                  id={innerId}
                  ours={inner.ours}
                  theirs={inner.theirs}
                  branch={branch}
                  choice={choices[innerId]}
                  choose={choose}
                />
              ),
            )}
          </div>
        ),
      )}
      {p.content ? (
        <Conflict
          id="content"
          ours={show(p.content.ours)}
          theirs={show(p.content.theirs)}
          branch={branch}
          choice={choices.content}
          choose={choose}
        />
      ) : null}
      {p.configConflicts.map((c) => (
        <div key={c.key}>
          <div className="muted small">config {c.key}</div>
          <Conflict
            id={`config:${c.key}`}
            ours={show(c.ours)}
            theirs={show(c.theirs)}
            branch={branch}
            choice={choices[`config:${c.key}`]}
            choose={choose}
          />
        </div>
      ))}
      {merge.error ? <ProblemView error={merge.error} /> : null}
      {merge.data ? (
        <p role="status">
          Merged as v{merge.data.version.number} ({merge.data.version.semver}).
        </p>
      ) : (
        <button
          type="button"
          className="primary"
          disabled={!ready || merge.isPending}
          onClick={() => merge.mutate(p)}
        >
          {p.conflicts === 0 ? 'Merge' : 'Save merge'}
        </button>
      )}
    </section>
  );
}
