import type { AnnotationItem, ScoreDefinition } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { datasetsApi } from '../../api/admin.ts';
import { annotationApi } from '../../api/annotation.ts';
import { tracesApi } from '../../api/traces.ts';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { keyedOptions, reviewAction, type ScoreValue, SHORTCUTS } from '../../lib/review-keys.ts';
import { TraceView } from '../trace.tsx';
import { ProgressBar } from './queues.tsx';
import './annotation.css';

/** Keys typed into a field are the field's, not shortcuts (Escape leaves the field). */
const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

/**
 * The review screen: the next item of a queue (claimed for this reviewer under a lease), its trace
 * rendered as on the trace page, one input per score definition, a comment, and keyboard shortcuts
 * for all of it (listed on the page; `?` shows them larger). URL: `/queues/<id>/review`.
 */
export default function ReviewPage({ id }: { id: number }) {
  const queue = useQuery({ queryKey: ['annotation-queue', id], queryFn: () => annotationApi.queue(id) });
  const next = useQuery({
    queryKey: ['annotation-next', id],
    queryFn: () => annotationApi.next(id),
    // A claim is taken once per item; refetching on focus would only renew the lease.
    refetchOnWindowFocus: false,
  });
  return (
    <QueryView query={queue} loadingLabel="Loading the queue…">
      {(q) => (
        <div className="stack">
          <p className="crumbs">
            <Link href="/queues">Annotation queues</Link> / <Link href={`/queues/${q.id}`}>{q.name}</Link> /
            review
          </p>
          <QueryView query={next} loadingLabel="Taking the next item…">
            {(n) => (
              <>
                <ProgressBar progress={n.progress} />
                {n.item ? (
                  <ReviewItem key={n.item.id} queueId={id} item={n.item} definitions={q.definitions} />
                ) : (
                  <Empty title="Nothing left to review">
                    Every item of this queue is completed, skipped or in another reviewer’s hands.{' '}
                    <Link href={`/queues/${q.id}`}>Back to the queue</Link>
                  </Empty>
                )}
              </>
            )}
          </QueryView>
        </div>
      )}
    </QueryView>
  );
}

function ReviewItem({
  queueId,
  item,
  definitions,
}: {
  queueId: number;
  item: AnnotationItem;
  definitions: ScoreDefinition[];
}) {
  const client = useQueryClient();
  const trace = useQuery({ queryKey: ['trace', item.traceId], queryFn: () => tracesApi.get(item.traceId) });
  const [values, setValues] = useState<Record<string, ScoreValue>>({});
  const [focus, setFocus] = useState(0);
  const [comment, setComment] = useState('');
  const [help, setHelp] = useState(false);
  const [datasetOpen, setDatasetOpen] = useState(false);
  const commentRef = useRef<HTMLTextAreaElement>(null);

  const advance = async () => {
    await client.invalidateQueries({ queryKey: ['annotation-next', queueId] });
    await client.invalidateQueries({ queryKey: ['annotation-queue', queueId] });
    await client.invalidateQueries({ queryKey: ['trace', item.traceId] });
  };
  const submit = useMutation({
    mutationFn: () =>
      annotationApi.complete(queueId, item.id, {
        scores: definitions
          .filter((d) => values[d.name] !== undefined)
          .map((d) => ({ name: d.name, value: values[d.name] as ScoreValue })),
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      }),
    onSuccess: advance,
  });
  const skip = useMutation({ mutationFn: () => annotationApi.skip(queueId, item.id), onSuccess: advance });

  const set = useCallback(
    (name: string, value: ScoreValue) => {
      setValues((v) => ({ ...v, [name]: value }));
      // On to the next score, so a review is a few key presses in a row.
      setFocus((f) => Math.min(f + 1, definitions.length - 1));
    },
    [definitions.length],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (typing(e.target)) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        return;
      }
      if (datasetOpen) return;
      const current = definitions[focus];
      // y / n go to the score in focus if it is a boolean, else to the first boolean.
      const target =
        (e.key === 'y' || e.key === 'n') && current?.dataType !== 'boolean'
          ? definitions.find((d) => d.dataType === 'boolean')
          : current;
      const action = reviewAction(e.key, target);
      if (!action) return;
      e.preventDefault();
      switch (action.type) {
        case 'set':
          if (target) set(target.name, action.value);
          break;
        case 'move':
          setFocus((f) => Math.max(0, Math.min(definitions.length - 1, f + action.by)));
          break;
        case 'comment':
          commentRef.current?.focus();
          break;
        case 'submit':
          if (!submit.isPending) submit.mutate();
          break;
        case 'skip':
          if (!skip.isPending) skip.mutate();
          break;
        case 'dataset':
          setDatasetOpen(true);
          break;
        case 'help':
          setHelp((h) => !h);
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [definitions, focus, set, submit, skip, datasetOpen]);

  return (
    <div className="review-layout">
      <div className="review-trace">
        <QueryView query={trace} loadingLabel="Loading the trace…">
          {(t) => <TraceView trace={t} embedded />}
        </QueryView>
      </div>
      <aside className="review-panel card stack" aria-label="Review">
        <h2>Scores</h2>
        <ol className="plain stack" aria-label="Score inputs">
          {definitions.map((d, i) => (
            <ScoreInput
              key={d.id}
              definition={d}
              value={values[d.name]}
              focused={i === focus}
              onFocus={() => setFocus(i)}
              onChange={(v) => set(d.name, v)}
            />
          ))}
        </ol>
        <label>
          Comment
          <textarea
            ref={commentRef}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            rows={3}
            placeholder="What is right or wrong with this answer (c)"
            onKeyDown={(e) => {
              // Ctrl/⌘+Enter submits from the comment; Enter alone is a new line.
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                submit.mutate();
              }
            }}
          />
        </label>
        {submit.error ? <ProblemView error={submit.error} /> : null}
        {skip.error ? <ProblemView error={skip.error} /> : null}
        <div className="toolbar">
          <button type="button" onClick={() => submit.mutate()} disabled={submit.isPending}>
            Submit and next <kbd>Enter</kbd>
          </button>
          <button type="button" className="ghost" onClick={() => skip.mutate()} disabled={skip.isPending}>
            Skip <kbd>s</kbd>
          </button>
          <button type="button" className="ghost" onClick={() => setDatasetOpen(true)}>
            Add to dataset <kbd>d</kbd>
          </button>
        </div>
        {datasetOpen ? (
          <DatasetForm queueId={queueId} itemId={item.id} onDone={() => setDatasetOpen(false)} />
        ) : null}
        <section
          aria-label="Keyboard shortcuts"
          className={help ? 'shortcuts open' : 'shortcuts'}
          data-testid="shortcuts"
        >
          <h3>Keyboard {help ? '' : <span className="muted small">(? for more)</span>}</h3>
          <dl>
            {SHORTCUTS.map(([key, what]) => (
              <div key={key}>
                <dt>
                  <kbd>{key}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </section>
      </aside>
    </div>
  );
}

function ScoreInput({
  definition: d,
  value,
  focused,
  onFocus,
  onChange,
}: {
  definition: ScoreDefinition;
  value: ScoreValue | undefined;
  focused: boolean;
  onFocus: () => void;
  onChange: (value: ScoreValue) => void;
}) {
  const options = keyedOptions(d);
  const [typed, setTyped] = useState('');
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard reaches every score through ↓ ↑ and its own keys
    <li
      className={focused ? 'score-input focused' : 'score-input'}
      data-testid={`score-${d.name}`}
      aria-current={focused ? 'true' : undefined}
      onClick={onFocus}
    >
      <div className="toolbar">
        <strong className="grow">{d.name}</strong>
        <span className="muted small" data-testid="score-value">
          {value === undefined ? 'not set' : String(value)}
        </span>
      </div>
      {d.description ? <p className="muted small">{d.description}</p> : null}
      {options ? (
        <fieldset className="score-options" aria-label={d.name}>
          {options.map((o) => (
            <button
              key={o.key}
              type="button"
              className={value === o.value ? 'option chosen' : 'option ghost'}
              aria-pressed={value === o.value}
              onClick={() => onChange(o.value)}
            >
              <kbd>{o.key}</kbd> {o.label}
            </button>
          ))}
        </fieldset>
      ) : (
        <input
          aria-label={d.name}
          inputMode="decimal"
          value={typed}
          placeholder={`${d.min ?? ''} … ${d.max ?? ''}`}
          onChange={(e) => {
            setTyped(e.target.value);
            const n = Number(e.target.value);
            if (e.target.value.trim() !== '' && Number.isFinite(n)) onChange(n);
          }}
        />
      )}
    </li>
  );
}

/** The item's trace into a dataset: an existing one, or a new one by name. */
function DatasetForm({ queueId, itemId, onDone }: { queueId: number; itemId: number; onDone: () => void }) {
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: datasetsApi.list });
  const [name, setName] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const add = useMutation({
    mutationFn: () => {
      const dataset = name.trim();
      const exists = datasets.data?.some((d) => d.name === dataset) ?? false;
      return annotationApi.toDataset(queueId, itemId, dataset, !exists);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // Enter here is the form's, not "submit the review".
    e.stopPropagation();
    add.mutate();
  };
  return (
    <form className="stack" onSubmit={submit} aria-label="Add to dataset">
      <label>
        Dataset (an existing name, or a new one)
        <input
          ref={input}
          list="review-datasets"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          onKeyDown={(e) => {
            if (e.key === 'Escape') onDone();
          }}
        />
      </label>
      <datalist id="review-datasets">
        {datasets.data?.map((d) => (
          <option key={d.name} value={d.name} />
        ))}
      </datalist>
      {add.error ? <ProblemView error={add.error} /> : null}
      {add.data ? (
        <p role="status">
          Added to <Link href={`/datasets/${encodeURIComponent(add.data.dataset)}`}>{add.data.dataset}</Link>
          {add.data.created ? ' (new dataset)' : ''}.
        </p>
      ) : null}
      <div className="toolbar">
        <button type="submit" disabled={add.isPending || name.trim() === ''}>
          Add
        </button>
        <button type="button" className="ghost" onClick={onDone}>
          Close <kbd>Esc</kbd>
        </button>
      </div>
    </form>
  );
}
