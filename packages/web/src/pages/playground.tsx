import type { Prompt } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useLayoutEffect, useReducer, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.ts';
import { type PlaygroundEvent, type PlaygroundModel, streamPlaygroundRun } from '../api/playground.ts';
import { Loading, ProblemView } from '../components/states.tsx';
import { LazyEditor } from '../editor/lazy-editor.tsx';
import type { DraftContent } from '../lib/draft.ts';
import { formatMs, formatUsd } from '../lib/format.ts';
import {
  applyEvent,
  type Cells,
  cellKey,
  estimateTokens,
  initialCells,
  parseBatch,
} from '../lib/playground-state.ts';
import { useDraftVariables } from '../lib/use-draft-variables.ts';
import { useQueryParams } from '../lib/use-query-params.ts';
import { versionToDraft } from './prompt/editor-tab.tsx';

const MAX_MODELS = 4;

type Action = { type: 'reset'; cells: Cells } | { type: 'event'; event: PlaygroundEvent; elapsedMs?: number };

function cellsReducer(cells: Cells, action: Action): Cells {
  return action.type === 'reset' ? action.cells : applyEvent(cells, action.event, action.elapsedMs);
}

/** Run a prompt (or a draft) on up to four models side by side. URL: `/playground?prompt=&version=`. */
export default function PlaygroundPage() {
  const [params, setParams] = useQueryParams();
  const promptName = params.prompt ?? '';
  const versionNumber = params.version ? Number(params.version) : null;
  const prompts = useQuery({ queryKey: ['prompts'], queryFn: api.listPrompts });
  const version = useQuery({
    queryKey: ['version', promptName, versionNumber],
    queryFn: () => api.getVersion(promptName, versionNumber ?? 0),
    enabled: Boolean(promptName && versionNumber),
  });

  return (
    <div className="playground">
      <div className="toolbar">
        <h1>Playground</h1>
        <label className="inline">
          Prompt
          <input
            list="prompt-names"
            defaultValue={promptName}
            placeholder="Pick a prompt, or write a draft"
            aria-label="Prompt"
            onChange={(e) => {
              const p = prompts.data?.find((x) => x.name === e.target.value);
              if (p || e.target.value === '')
                setParams({ prompt: e.target.value, version: p?.latestVersion ?? null }, true);
            }}
          />
          <datalist id="prompt-names">
            {(prompts.data ?? []).slice(0, 500).map((p: Prompt) => (
              <option key={p.name} value={p.name} />
            ))}
          </datalist>
        </label>
        {promptName ? (
          <Link href={`/prompts/${promptName}`} className="small">
            Open prompt
          </Link>
        ) : null}
      </div>
      {version.error ? <ProblemView error={version.error} /> : null}
      {promptName && versionNumber && version.isPending ? (
        <Loading label="Loading version…" />
      ) : (
        <Workbench
          key={`${promptName}@${versionNumber ?? ''}`}
          promptName={promptName}
          initial={version.data ? versionToDraft(version.data) : { type: 'text', template: '', config: {} }}
          baseVersion={version.data?.number ?? null}
        />
      )}
    </div>
  );
}

function Workbench({
  promptName,
  initial,
  baseVersion,
}: {
  promptName: string;
  initial: DraftContent;
  baseVersion: number | null;
}) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<DraftContent>(initial);
  const [models, setModels] = useState<PlaygroundModel[]>(() => [
    {
      provider: (initial.config.provider as string | undefined) ?? 'mock',
      model: (initial.config.model as string | undefined) ?? 'mock-1',
      ...(initial.config.parameters ? { parameters: initial.config.parameters } : {}),
    },
  ]);
  const [mode, setMode] = useState<'single' | 'batch'>('single');
  const [values, setValues] = useState<Record<string, string>>({});
  const [batch, setBatch] = useState('');
  const [cells, dispatch] = useReducer(cellsReducer, {});
  // The variable sets of the last run, one output row each.
  const [inputs, setInputs] = useState<Record<string, unknown>[]>([]);
  const rows = inputs.length;
  const [runError, setRunError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const variables = useDraftVariables(draft);
  const firstTokenPending = useRef(false);

  useLayoutEffect(() => {
    // bench/web.bench.ts reads this: from the click on Run to the first streamed text on screen.
    if (firstTokenPending.current && Object.values(cells).some((c) => c.text.length > 0)) {
      firstTokenPending.current = false;
      performance.measure('playground-first-token', 'playground-run');
    }
  }, [cells]);

  const run = async () => {
    setRunError(null);
    let variableSets: Record<string, unknown>[];
    try {
      variableSets = mode === 'batch' ? parseBatch(batch) : [toVariables(values, variables)];
      if (variableSets.length === 0)
        throw new Error('Add at least one variable set (one JSON object per line).');
    } catch (error) {
      setRunError(error);
      return;
    }
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setInputs(variableSets);
    dispatch({ type: 'reset', cells: initialCells(variableSets.length, models.length) });
    setRunning(true);
    performance.clearMeasures('playground-first-token');
    performance.mark('playground-run');
    const startedAt = performance.now();
    firstTokenPending.current = true;
    try {
      await streamPlaygroundRun(
        {
          draft:
            draft.type === 'text'
              ? { type: 'text', template: draft.template, config: draft.config }
              : { type: 'chat', messages: draft.messages, config: draft.config },
          // The server takes a draft or a stored prompt, never both: the editor's content is the draft.
          variables: mode === 'batch' ? variableSets : (variableSets[0] ?? {}),
          models,
        },
        (event) => dispatch({ type: 'event', event, elapsedMs: performance.now() - startedAt }),
        controller.signal,
      );
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'AbortError')) setRunError(error);
    } finally {
      dispatch({ type: 'event', event: { type: 'end' } });
      setRunning(false);
    }
  };

  const saveAs = useMutation({
    mutationFn: (m: PlaygroundModel) => {
      const config = {
        ...draft.config,
        provider: m.provider,
        model: m.model,
        ...(m.parameters ? { parameters: m.parameters } : {}),
      };
      const common = {
        config,
        message: `From the playground: ${m.provider}/${m.model}`,
        ...(baseVersion ? { parent: baseVersion } : {}),
      };
      return api.createVersion(
        promptName,
        draft.type === 'text'
          ? { type: 'text', template: draft.template, ...common }
          : { type: 'chat', messages: draft.messages, ...common },
      );
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['versions', promptName] }),
  });

  return (
    <div className="stack">
      <div className="playground-inputs">
        <section className="card">
          <h2>
            Prompt{' '}
            {baseVersion ? (
              <span className="muted small">from v{baseVersion}</span>
            ) : (
              <span className="muted small">draft</span>
            )}
          </h2>
          {draft.type === 'text' ? (
            <LazyEditor
              ariaLabel="Playground template"
              value={draft.template}
              onChange={(template) => setDraft((d) => (d.type === 'text' ? { ...d, template } : d))}
              placeholder="Write a template, e.g. Summarise {{text}}"
              minLines={6}
              onSubmit={() => void run()}
            />
          ) : (
            <ol className="plain">
              {draft.messages.map((m, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: read-only positional list
                <li key={i}>
                  {'type' in m ? (
                    <em className="muted">[placeholder {m.name}]</em>
                  ) : (
                    <>
                      <strong>{m.role}</strong>: <span className="pre-wrap">{m.content}</span>
                    </>
                  )}
                </li>
              ))}
              <li className="muted small">Edit chat messages on the prompt page.</li>
            </ol>
          )}
        </section>
        <section className="card">
          <div className="row">
            <h2 className="grow">Variables</h2>
            <fieldset className="segmented" aria-label="Input mode">
              <legend className="sr-only">Input mode</legend>
              {(['single', 'batch'] as const).map((m) => (
                <label key={m} className={mode === m ? 'active' : ''}>
                  <input type="radio" name="input-mode" checked={mode === m} onChange={() => setMode(m)} />
                  {m === 'single' ? 'One input' : 'Batch (matrix)'}
                </label>
              ))}
            </fieldset>
          </div>
          {mode === 'single' ? (
            variables.length === 0 ? (
              <p className="muted">This prompt has no variables.</p>
            ) : (
              variables.map((v) => (
                <label key={v}>
                  {v}
                  <textarea
                    rows={2}
                    value={values[v] ?? ''}
                    onChange={(e) => setValues({ ...values, [v]: e.target.value })}
                  />
                </label>
              ))
            )
          ) : (
            <label>
              One JSON object per line (or a JSON array)
              <textarea
                className="mono"
                rows={6}
                value={batch}
                onChange={(e) => setBatch(e.target.value)}
                placeholder={`{${variables.map((v) => `"${v}": "…"`).join(', ')}}`}
              />
            </label>
          )}
        </section>
      </div>
      <section className="card">
        <div className="row wrap">
          <h2 className="grow">Models</h2>
          <button
            type="button"
            onClick={() => setModels([...models, { provider: 'mock', model: 'mock-1' }])}
            disabled={models.length >= MAX_MODELS}
          >
            + Model
          </button>
          {running ? (
            <button type="button" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          ) : null}
          <button
            type="button"
            className="primary"
            onClick={() => void run()}
            disabled={running}
            title="Ctrl+Enter in the editor"
          >
            {running ? 'Running…' : 'Run'}
          </button>
        </div>
        <div
          className="model-grid"
          style={{ gridTemplateColumns: `repeat(${models.length}, minmax(0, 1fr))` }}
        >
          {models.map((m, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a column's identity is its position
            <div key={i} className="model-config">
              <div className="row">
                <input
                  aria-label={`Model ${i + 1} provider`}
                  value={m.provider}
                  onChange={(e) =>
                    setModels(models.map((x, j) => (j === i ? { ...x, provider: e.target.value } : x)))
                  }
                />
                <input
                  aria-label={`Model ${i + 1} name`}
                  value={m.model}
                  onChange={(e) =>
                    setModels(models.map((x, j) => (j === i ? { ...x, model: e.target.value } : x)))
                  }
                />
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Remove model ${i + 1}`}
                  disabled={models.length === 1}
                  onClick={() => setModels(models.filter((_, j) => j !== i))}
                >
                  ✕
                </button>
              </div>
              <label className="inline small">
                temperature
                <input
                  type="number"
                  step="0.1"
                  min="0"
                  max="2"
                  value={typeof m.parameters?.temperature === 'number' ? m.parameters.temperature : ''}
                  onChange={(e) =>
                    setModels(
                      models.map((x, j) =>
                        j === i
                          ? {
                              ...x,
                              parameters: {
                                ...x.parameters,
                                temperature: e.target.value === '' ? undefined : Number(e.target.value),
                              },
                            }
                          : x,
                      ),
                    )
                  }
                />
              </label>
              {promptName ? (
                <button
                  type="button"
                  className="small"
                  disabled={saveAs.isPending}
                  onClick={() => saveAs.mutate(m)}
                >
                  Save as new version
                </button>
              ) : null}
            </div>
          ))}
        </div>
        {saveAs.data ? (
          <p className="notice" role="status">
            Saved v{saveAs.data.number} ({saveAs.data.semver}).{' '}
            <Link href={`/prompts/${promptName}?tab=history`}>See history</Link>
          </p>
        ) : null}
        {saveAs.error ? <ProblemView error={saveAs.error} /> : null}
        {runError ? <ProblemView error={runError} /> : null}
        {rows > 0 ? (
          <Outputs cells={cells} inputs={inputs} models={models.length} />
        ) : (
          <p className="muted">Run to see each model's output here.</p>
        )}
      </section>
    </div>
  );
}

function toVariables(values: Record<string, string>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const raw = values[n] ?? '';
    // Sections iterate lists and test booleans, so JSON-looking input is sent as JSON.
    if (/^\s*[[{]|^\s*(true|false|null|-?\d+(\.\d+)?)\s*$/.test(raw)) {
      try {
        out[n] = JSON.parse(raw);
        continue;
      } catch {
        // Not JSON after all: send it as text.
      }
    }
    out[n] = raw;
  }
  return out;
}

function Outputs({
  cells,
  inputs,
  models,
}: {
  cells: Cells;
  inputs: Record<string, unknown>[];
  models: number;
}) {
  const rows = inputs.length;
  return (
    <div className="outputs" data-testid="playground-outputs">
      {Array.from({ length: rows }, (_, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are the variable sets in order
        <div key={r} className="output-row">
          {rows > 1 ? (
            <div className="muted small ellipsis" title={JSON.stringify(inputs[r])}>
              Input #{r + 1} · <code>{JSON.stringify(inputs[r])}</code>
            </div>
          ) : null}
          <div className="model-grid" style={{ gridTemplateColumns: `repeat(${models}, minmax(0, 1fr))` }}>
            {Array.from({ length: models }, (_, m) => {
              const c = cells[cellKey(r, m)];
              return (
                <div
                  // biome-ignore lint/suspicious/noArrayIndexKey: columns are the models in order
                  key={m}
                  className={`output-cell ${c?.status ?? 'waiting'}`}
                  data-testid={`output-${r}-${m}`}
                >
                  <pre className="output" aria-live="polite">
                    {c?.text || (c?.status === 'error' ? '' : '…')}
                  </pre>
                  {c?.error ? (
                    <p className="error-text small">
                      {c.error.code}: {c.error.detail}
                    </p>
                  ) : null}
                  {c?.done ? (
                    <dl className="metrics" data-testid={`metrics-${r}-${m}`}>
                      <dt>tokens</dt>
                      <dd>
                        {c.done.usage.inputTokens} in / {c.done.usage.outputTokens} out
                        {c.done.usage.estimated ? ' (est.)' : ''}
                      </dd>
                      <dt>latency</dt>
                      <dd>{formatMs(c.done.latencyMs)}</dd>
                      <dt>first token</dt>
                      <dd>{formatMs(c.done.timeToFirstTokenMs)}</dd>
                      <dt>cost</dt>
                      <dd>{c.done.cost ? formatUsd(c.done.cost.totalUsd) : 'unknown price'}</dd>
                    </dl>
                  ) : c?.status === 'streaming' ? (
                    <dl className="metrics live" data-testid={`live-metrics-${r}-${m}`}>
                      <dt>tokens</dt>
                      <dd>≈{estimateTokens(c.text)} out so far</dd>
                      <dt>elapsed</dt>
                      <dd>{formatMs(c.elapsedMs)}</dd>
                      <dt>first token</dt>
                      <dd>{formatMs(c.firstTokenMs)}</dd>
                      <dt>cost</dt>
                      <dd className="muted">when done</dd>
                    </dl>
                  ) : null}
                  {c?.done?.contract ? (
                    // The prompt's output contract, checked on the whole completion.
                    <p className="small" data-testid={`contract-${r}-${m}`}>
                      <span className={c.done.contract.pass ? 'badge pass' : 'badge fail'}>
                        {c.done.contract.pass ? 'contract met' : 'contract violated'}
                      </span>{' '}
                      {c.done.contract.pass ? '' : c.done.contract.reason}
                    </p>
                  ) : null}
                </div>
              );
            })}
          </div>
        </div>
      ))}
    </div>
  );
}
