import type { ChatMessage, Prompt, Version } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../../api/client.ts';
import { Loading, ProblemView } from '../../components/states.tsx';
import { LazyEditor } from '../../editor/lazy-editor.tsx';
import { type Bump, type DraftContent, previewSemver } from '../../lib/draft.ts';
import { formatTime } from '../../lib/format.ts';
import { useDraftVariables } from '../../lib/use-draft-variables.ts';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { ConfigPanel } from './config-panel.tsx';

/** The content of a stored version as an editable draft. */
export function versionToDraft(v: Version): DraftContent {
  return v.type === 'text'
    ? { type: 'text', template: v.template, config: v.config }
    : { type: 'chat', messages: v.messages, config: v.config };
}

/** The versions of a prompt, newest first. */
export function useVersions(name: string) {
  return useQuery({
    queryKey: ['versions', name],
    queryFn: async () => (await api.listVersions(name)).sort((a, b) => b.number - a.number),
  });
}

/** Edit the prompt from a version (`?v=`, default the newest) and save a new version. */
export function EditorTab({ prompt }: { prompt: Prompt }) {
  const versions = useVersions(prompt.name);
  const [params] = useQueryParams();
  // Lives above the keyed editor: saving moves `?v=` to the new version, which remounts it.
  const [savedNote, setSavedNote] = useState<string | null>(null);
  if (versions.error) return <ProblemView error={versions.error} onRetry={() => void versions.refetch()} />;
  if (versions.isPending) return <Loading label="Loading versions…" />;
  const list = versions.data;
  const wanted = params.v ? Number(params.v) : null;
  const base = (wanted ? list.find((v) => v.number === wanted) : list[0]) ?? null;
  // Keyed by base so switching versions starts a fresh draft.
  return (
    <Editor
      key={base ? `${base.number}` : 'new'}
      prompt={prompt}
      base={base}
      head={list[0] ?? null}
      savedNote={savedNote}
      onSaved={setSavedNote}
    />
  );
}

const EMPTY_DRAFT: DraftContent = { type: 'text', template: '', config: {} };

function Editor({
  prompt,
  base,
  head,
  savedNote,
  onSaved,
}: {
  prompt: Prompt;
  base: Version | null;
  head: Version | null;
  savedNote: string | null;
  onSaved: (note: string | null) => void;
}) {
  const queryClient = useQueryClient();
  const [, setParams] = useQueryParams();
  const initial = useMemo(() => (base ? versionToDraft(base) : EMPTY_DRAFT), [base]);
  const [draft, setDraft] = useState<DraftContent>(initial);
  const [saving, setSaving] = useState(false);
  const dirty = JSON.stringify(draft) !== JSON.stringify(initial);
  const variables = useDraftVariables(draft);
  const knownVariables = useMemo(
    () => [...new Set([...(head?.variables ?? []), ...variables])],
    [head, variables],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.metaKey || e.ctrlKey) && e.key === 's') {
        e.preventDefault();
        if (dirty) setSaving(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dirty]);

  const setType = (type: 'text' | 'chat') => {
    if (type === draft.type) return;
    setDraft(
      draft.type === 'text'
        ? { type: 'chat', messages: [{ role: 'user', content: draft.template }], config: draft.config }
        : {
            type: 'text',
            template: draft.messages
              .map((m) => ('type' in m ? '' : m.content))
              .filter(Boolean)
              .join('\n\n'),
            config: draft.config,
          },
    );
  };

  return (
    <div className="editor-layout">
      <section className="editor-main">
        <div className="toolbar">
          <fieldset className="segmented" aria-label="Prompt type">
            <legend className="sr-only">Prompt type</legend>
            {(['text', 'chat'] as const).map((t) => (
              <label key={t} className={draft.type === t ? 'active' : ''}>
                <input
                  type="radio"
                  name="prompt-type"
                  value={t}
                  checked={draft.type === t}
                  onChange={() => setType(t)}
                />
                {t === 'text' ? 'Text' : 'Chat'}
              </label>
            ))}
          </fieldset>
          <span className="muted small">
            {base
              ? `Editing from v${base.number} (${base.semver})`
              : 'No version yet: the first save creates v1 (1.0.0)'}
            {base && head && base.number !== head.number ? ` · newest is v${head.number}` : ''}
          </span>
          <span className="grow" />
          {dirty ? <span className="badge warn">Unsaved changes</span> : null}
          <button type="button" onClick={() => setDraft(initial)} disabled={!dirty}>
            Discard
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => setSaving(true)}
            disabled={!dirty}
            title="Ctrl+S"
          >
            Save…
          </button>
        </div>
        {draft.type === 'text' ? (
          <LazyEditor
            ariaLabel="Template"
            value={draft.template}
            onChange={(template) => setDraft((d) => (d.type === 'text' ? { ...d, template } : d))}
            variables={knownVariables}
            placeholder="Write the prompt; use {{variable}} for inputs"
            minLines={14}
          />
        ) : (
          <ChatEditor
            messages={draft.messages}
            variables={knownVariables}
            onChange={(messages) => setDraft((d) => (d.type === 'chat' ? { ...d, messages } : d))}
          />
        )}
        <p className="muted small">
          Variables: {variables.length > 0 ? variables.map((v) => <code key={v}>{v}</code>) : 'none'}
        </p>
        {savedNote ? (
          <p className="notice" role="status">
            {savedNote}
          </p>
        ) : null}
      </section>
      <ConfigPanel config={draft.config} onChange={(config) => setDraft((d) => ({ ...d, config }))} />
      {saving ? (
        <SaveDialog
          prompt={prompt}
          base={base}
          head={head}
          draft={draft}
          onClose={() => setSaving(false)}
          onSaved={async (v, existed) => {
            setSaving(false);
            onSaved(
              existed
                ? `Nothing new: identical to v${v.number} (${v.semver}).`
                : `Saved v${v.number} · ${v.semver}`,
            );
            await Promise.all([
              queryClient.invalidateQueries({ queryKey: ['versions', prompt.name] }),
              queryClient.invalidateQueries({ queryKey: ['prompt', prompt.name] }),
              queryClient.invalidateQueries({ queryKey: ['prompts'] }),
            ]);
            setParams({ v: v.number }, true);
          }}
        />
      ) : null}
    </div>
  );
}

function ChatEditor({
  messages,
  variables,
  onChange,
}: {
  messages: ChatMessage[];
  variables: readonly string[];
  onChange: (messages: ChatMessage[]) => void;
}) {
  // Stable keys for messages that have no identity of their own, so editors keep focus on reorder.
  const ids = useRef<number[]>([]);
  const nextId = useRef(0);
  while (ids.current.length < messages.length) ids.current.push(nextId.current++);
  ids.current.length = messages.length;

  const update = (i: number, m: ChatMessage) => onChange(messages.map((old, j) => (j === i ? m : old)));
  const move = (i: number, delta: number) => {
    const j = i + delta;
    if (j < 0 || j >= messages.length) return;
    const next = [...messages];
    const idList = [...ids.current];
    [next[i], next[j]] = [next[j] as ChatMessage, next[i] as ChatMessage];
    [idList[i], idList[j]] = [idList[j] as number, idList[i] as number];
    ids.current = idList;
    onChange(next);
  };
  const remove = (i: number) => {
    ids.current = ids.current.filter((_, j) => j !== i);
    onChange(messages.filter((_, j) => j !== i));
  };
  return (
    <ol className="chat-editor">
      {messages.map((m, i) => (
        <li key={ids.current[i]} className="chat-message card">
          <div className="row">
            {'type' in m ? (
              <label className="grow">
                Placeholder (the application inserts a list of messages here)
                <input
                  value={m.name}
                  onChange={(e) => update(i, { type: 'placeholder', name: e.target.value })}
                />
              </label>
            ) : (
              <label>
                Role
                <select
                  value={m.role}
                  onChange={(e) => update(i, { ...m, role: e.target.value as typeof m.role })}
                >
                  {['system', 'developer', 'user', 'assistant', 'tool'].map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <span className="grow" />
            <button
              type="button"
              className="ghost"
              onClick={() => move(i, -1)}
              disabled={i === 0}
              aria-label={`Move message ${i + 1} up`}
            >
              ↑
            </button>
            <button
              type="button"
              className="ghost"
              onClick={() => move(i, 1)}
              disabled={i === messages.length - 1}
              aria-label={`Move message ${i + 1} down`}
            >
              ↓
            </button>
            <button
              type="button"
              className="ghost"
              onClick={() => remove(i)}
              disabled={messages.length === 1}
              aria-label={`Remove message ${i + 1}`}
            >
              ✕
            </button>
          </div>
          {'type' in m ? null : (
            <LazyEditor
              ariaLabel={`Message ${i + 1} (${m.role})`}
              value={m.content}
              onChange={(content) => update(i, { ...m, content })}
              variables={variables}
              minLines={3}
            />
          )}
        </li>
      ))}
      <li className="row">
        <button type="button" onClick={() => onChange([...messages, { role: 'user', content: '' }])}>
          + Message
        </button>
        <button
          type="button"
          onClick={() => onChange([...messages, { type: 'placeholder', name: 'history' }])}
        >
          + Placeholder
        </button>
      </li>
    </ol>
  );
}

function SaveDialog({
  prompt,
  base,
  head,
  draft,
  onClose,
  onSaved,
}: {
  prompt: Prompt;
  base: Version | null;
  head: Version | null;
  draft: DraftContent;
  onClose: () => void;
  onSaved: (v: Version, existed: boolean) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [message, setMessage] = useState('');
  const [bump, setBump] = useState<'auto' | Bump>('auto');
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const preview = previewSemver(
    head ? { semver: head.semver, draft: versionToDraft(head) } : null,
    draft,
    bump === 'auto' ? undefined : bump,
  );
  const inferred = preview.required;
  const save = useMutation({
    mutationFn: () => {
      const common = {
        config: draft.config,
        ...(message.trim() ? { message: message.trim() } : {}),
        ...(base ? { parent: base.number } : {}),
        ...(bump !== 'auto' ? { bump } : {}),
      };
      return api.createVersion(
        prompt.name,
        draft.type === 'text'
          ? { type: 'text', template: draft.template, ...common }
          : { type: 'chat', messages: draft.messages, ...common },
      );
    },
    onSuccess: (v) => onSaved(v, head !== null && v.number <= head.number),
  });
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape closes a modal dialog natively
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="save-title"
      onClose={onClose}
      onClick={(e) => {
        if (e.target === dialog.current) dialog.current?.close();
      }}
    >
      <form
        method="dialog"
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <h2 id="save-title">Save a new version</h2>
        <label>
          Commit message
          <input
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            placeholder="What changed and why"
            autoFocus
          />
        </label>
        <label>
          Version bump
          <select value={bump} onChange={(e) => setBump(e.target.value as 'auto' | Bump)}>
            <option value="auto">Automatic{inferred ? ` (${inferred})` : ''}</option>
            <option value="patch">patch</option>
            <option value="minor">minor</option>
            <option value="major">major</option>
          </select>
        </label>
        {preview.semver ? (
          <p className="semver-preview">
            Will be saved as <strong>v{(head?.number ?? 0) + 1}</strong> ·{' '}
            <strong data-testid="next-semver">{preview.semver}</strong>
            {head ? <span className="muted"> (from {head.semver})</span> : null}
          </p>
        ) : (
          <p className="notice warn" data-testid="semver-problem">
            {preview.problem}
          </p>
        )}
        {base && head && base.number !== head.number ? (
          <p className="notice warn">
            You are editing v{base.number}, but v{head.number} ({formatTime(head.createdAt)}) is newer: saving
            will be refused as a conflict. Open v{head.number} first and apply your change there.
          </p>
        ) : null}
        {save.error ? <ProblemView error={save.error} /> : null}
        <div className="row end">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save version'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
