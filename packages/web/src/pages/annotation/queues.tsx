import type { AnnotationProgress, CreateScoreDefinitionInput, ScoreDefinition } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { annotationApi } from '../../api/annotation.ts';
import { ItemTable } from '../../components/sections.tsx';
import { Empty, ProblemView, QueryView } from '../../components/states.tsx';
import { DeleteDefinition, EditDefinition } from './definition-edit.tsx';
import './annotation.css';

/** "12/40 done" with a bar; the counts spelled out beside it. */
export function ProgressBar({ progress: p }: { progress: AnnotationProgress }) {
  const done = p.completed + p.skipped;
  return (
    <span className="queue-progress" data-testid="queue-progress">
      <progress max={Math.max(p.total, 1)} value={done} aria-label="Reviewed" />
      <span>
        {done}/{p.total} done · {p.completed} completed · {p.skipped} skipped · {p.claimed} in review ·{' '}
        {p.pending} pending
      </span>
    </span>
  );
}

export function describeDefinition(d: ScoreDefinition): string {
  if (d.dataType === 'boolean') return 'yes / no';
  if (d.dataType === 'categorical') return d.categories.join(' · ');
  return `number ${d.min ?? '−∞'} … ${d.max ?? '∞'}`;
}

/** Annotation queues with their progress, a form for a new queue, and the project's score definitions (create, edit, delete). */
export default function QueuesPage() {
  const queues = useQuery({ queryKey: ['annotation-queues'], queryFn: annotationApi.queues });
  const definitions = useQuery({ queryKey: ['score-definitions'], queryFn: annotationApi.definitions });
  return (
    <div className="stack">
      <h1>Annotation queues</h1>
      <p className="muted">
        Traces put in front of reviewers: each reviewer takes the next item, scores it with the queue’s score
        definitions and leaves a comment, keyboard first. Add traces from the{' '}
        <Link href="/traces">Traces</Link> list (select them, or use the filter), or with{' '}
        <code>promptline queues add</code>.
      </p>
      <QueryView query={queues} loadingLabel="Loading queues…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No annotation queues yet">
              Create one below from the project’s score definitions.
            </Empty>
          ) : (
            <table className="table" aria-label="Annotation queues">
              <thead>
                <tr>
                  <th>Queue</th>
                  <th>Scores</th>
                  <th>Progress</th>
                </tr>
              </thead>
              <tbody>
                {items.map((q) => (
                  <tr key={q.id} data-testid="queue-row">
                    <td>
                      <Link href={`/queues/${q.id}`}>{q.name}</Link>
                      {q.description ? <div className="muted small">{q.description}</div> : null}
                    </td>
                    <td>{q.scoreDefinitions.join(', ')}</td>
                    <td>
                      <ProgressBar progress={q.progress} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
      <QueryView query={definitions} loadingLabel="Loading score definitions…">
        {(defs) => (
          <>
            <NewQueueForm definitions={defs} />
            <DefinitionsSection definitions={defs} />
          </>
        )}
      </QueryView>
    </div>
  );
}

function NewQueueForm({ definitions }: { definitions: ScoreDefinition[] }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [assignees, setAssignees] = useState('');
  const create = useMutation({
    mutationFn: () =>
      annotationApi.createQueue({
        name: name.trim(),
        description,
        scoreDefinitions: chosen,
        assignees: assignees
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      }),
    onSuccess: () => {
      setName('');
      setDescription('');
      setChosen([]);
      setAssignees('');
      return client.invalidateQueries({ queryKey: ['annotation-queues'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="card stack" onSubmit={submit} aria-label="New queue">
      <h2>New queue</h2>
      {definitions.length === 0 ? (
        <p className="muted">Define a score first (below): a queue asks reviewers for one or more scores.</p>
      ) : null}
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="weekly-review" />
      </label>
      <label>
        Description
        <input
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="What reviewers look for"
        />
      </label>
      <fieldset>
        <legend>Scores reviewers give</legend>
        {definitions.map((d) => (
          <label key={d.id} className="inline">
            <input
              type="checkbox"
              checked={chosen.includes(d.name)}
              onChange={(e) =>
                setChosen((c) => (e.target.checked ? [...c, d.name] : c.filter((x) => x !== d.name)))
              }
            />{' '}
            {d.name} <span className="muted small">({describeDefinition(d)})</span>
          </label>
        ))}
      </fieldset>
      <label>
        Assignees (emails, comma-separated; empty: any reviewer)
        <input value={assignees} onChange={(e) => setAssignees(e.target.value)} />
      </label>
      {create.error ? <ProblemView error={create.error} /> : null}
      <div>
        <button type="submit" disabled={create.isPending || chosen.length === 0 || name.trim() === ''}>
          Create queue
        </button>
      </div>
    </form>
  );
}

function DefinitionsSection({ definitions }: { definitions: ScoreDefinition[] }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [dataType, setDataType] = useState<'numeric' | 'boolean' | 'categorical'>('numeric');
  const [min, setMin] = useState('1');
  const [max, setMax] = useState('5');
  const [categories, setCategories] = useState('');
  const [description, setDescription] = useState('');
  const [dialog, setDialog] = useState<{ kind: 'edit' | 'delete'; definition: ScoreDefinition } | null>(null);
  const create = useMutation({
    mutationFn: () => {
      const base = { name: name.trim(), description };
      const body: CreateScoreDefinitionInput =
        dataType === 'numeric'
          ? { ...base, dataType, min: min === '' ? null : Number(min), max: max === '' ? null : Number(max) }
          : dataType === 'boolean'
            ? { ...base, dataType }
            : {
                ...base,
                dataType,
                categories: categories
                  .split(',')
                  .map((c) => c.trim())
                  .filter(Boolean),
              };
      return annotationApi.createDefinition(body);
    },
    onSuccess: () => {
      setName('');
      setDescription('');
      setCategories('');
      return client.invalidateQueries({ queryKey: ['score-definitions'] });
    },
  });
  return (
    <section className="card stack" aria-label="Score definitions">
      <h2>Score definitions</h2>
      <p className="muted small">
        What a score of each name may hold. Every score of a defined name is checked against it — from
        reviewers, the API and the SDK alike.
      </p>
      {definitions.length > 0 ? (
        <ItemTable label="Definitions" columns={['Name', 'Values', 'Description']}>
          {definitions.map((d) => (
            <tr key={d.id} data-testid={`definition-${d.name}`}>
              <td>{d.name}</td>
              <td>{describeDefinition(d)}</td>
              <td>{d.description}</td>
              <td className="right nowrap">
                <button
                  type="button"
                  className="small"
                  aria-label={`Edit ${d.name}`}
                  onClick={() => setDialog({ kind: 'edit', definition: d })}
                >
                  Edit
                </button>{' '}
                <button
                  type="button"
                  className="danger small"
                  aria-label={`Delete ${d.name}`}
                  onClick={() => setDialog({ kind: 'delete', definition: d })}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </ItemTable>
      ) : null}
      <form
        className="toolbar wrap"
        aria-label="New score definition"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="correctness" />
        </label>
        <label>
          Type
          <select value={dataType} onChange={(e) => setDataType(e.target.value as typeof dataType)}>
            <option value="numeric">numeric</option>
            <option value="boolean">boolean</option>
            <option value="categorical">categorical</option>
          </select>
        </label>
        {dataType === 'numeric' ? (
          <>
            <label>
              Min
              <input value={min} onChange={(e) => setMin(e.target.value)} inputMode="decimal" size={5} />
            </label>
            <label>
              Max
              <input value={max} onChange={(e) => setMax(e.target.value)} inputMode="decimal" size={5} />
            </label>
          </>
        ) : null}
        {dataType === 'categorical' ? (
          <label>
            Categories (comma-separated)
            <input
              value={categories}
              onChange={(e) => setCategories(e.target.value)}
              placeholder="good, bad"
            />
          </label>
        ) : null}
        <label className="grow">
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <button type="submit" disabled={create.isPending || name.trim() === ''}>
          Add definition
        </button>
      </form>
      {create.error ? <ProblemView error={create.error} /> : null}
      {dialog?.kind === 'edit' ? (
        <EditDefinition definition={dialog.definition} onClose={() => setDialog(null)} />
      ) : null}
      {dialog?.kind === 'delete' ? (
        <DeleteDefinition definition={dialog.definition} onClose={() => setDialog(null)} />
      ) : null}
    </section>
  );
}
