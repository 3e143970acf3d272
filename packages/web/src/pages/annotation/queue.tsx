import type { AnnotationItemStatus, AnnotationQueue } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { annotationApi } from '../../api/annotation.ts';
import { Empty, QueryView } from '../../components/states.tsx';
import { formatTime } from '../../lib/format.ts';
import { DeleteQueue, EditQueue } from './queue-edit.tsx';
import { describeDefinition, ProgressBar } from './queues.tsx';
import './annotation.css';

const STATUSES: AnnotationItemStatus[] = ['pending', 'claimed', 'completed', 'skipped'];

/** One queue: its progress, score definitions and items, the way into the review screen, edit and delete. */
export default function QueuePage({ id }: { id: number }) {
  const queue = useQuery({ queryKey: ['annotation-queue', id], queryFn: () => annotationApi.queue(id) });
  const [status, setStatus] = useState<AnnotationItemStatus | ''>('');
  const [dialog, setDialog] = useState<{ kind: 'edit' | 'delete'; queue: AnnotationQueue } | null>(null);
  const items = useQuery({
    queryKey: ['annotation-items', id, status],
    queryFn: () => annotationApi.items(id, status || undefined),
  });
  return (
    <QueryView query={queue} loadingLabel="Loading the queue…">
      {(q) => (
        <div className="stack">
          <p className="crumbs">
            <Link href="/queues">Annotation queues</Link> / {q.name}
          </p>
          <div className="toolbar">
            <h1 className="grow">{q.name}</h1>
            <button type="button" onClick={() => setDialog({ kind: 'edit', queue: q })}>
              Edit queue
            </button>
            <button type="button" className="danger" onClick={() => setDialog({ kind: 'delete', queue: q })}>
              Delete queue
            </button>
            <Link className="button" href={`/queues/${q.id}/review`} data-testid="start-review">
              Start reviewing
            </Link>
          </div>
          {dialog?.kind === 'edit' ? (
            <EditQueue queue={dialog.queue} onClose={() => setDialog(null)} />
          ) : null}
          {dialog?.kind === 'delete' ? (
            <DeleteQueue queue={dialog.queue} onClose={() => setDialog(null)} />
          ) : null}
          {q.description ? <p>{q.description}</p> : null}
          <ProgressBar progress={q.progress} />
          {q.assignees.length > 0 ? <p className="muted">Assigned to {q.assignees.join(', ')}</p> : null}
          {q.sampling ? (
            <p className="muted" data-testid="queue-sampling">
              Samples {Math.round(q.sampling.rate * 1000) / 10}% of the new traces of {q.sampling.prompt}
              {q.sampling.env ? ` in ${q.sampling.env}` : ''}.
            </p>
          ) : null}
          <h2>Scores</h2>
          <ul>
            {q.definitions.map((d) => (
              <li key={d.id}>
                <strong>{d.name}</strong> — {describeDefinition(d)}
                {d.description ? <span className="muted"> · {d.description}</span> : null}
              </li>
            ))}
          </ul>
          <div className="toolbar">
            <h2 className="grow">Items</h2>
            <label>
              Status{' '}
              <select value={status} onChange={(e) => setStatus(e.target.value as AnnotationItemStatus | '')}>
                <option value="">all</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <QueryView query={items} loadingLabel="Loading items…">
            {(page) =>
              page.items.length === 0 ? (
                <Empty title="No items">
                  Add traces from the Traces list (select them, then “Add to queue…”).
                </Empty>
              ) : (
                <table className="table" aria-label="Items">
                  <thead>
                    <tr>
                      <th>Trace</th>
                      <th>Status</th>
                      <th>Reviewer</th>
                      <th>Scores</th>
                      <th>Comment</th>
                      <th>Done</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((i) => (
                      <tr key={i.id} data-testid="queue-item">
                        <td className="mono">
                          <Link href={`/traces/${i.traceId}`}>{i.traceId.slice(0, 12)}…</Link>
                        </td>
                        <td>
                          <span className={`badge item-${i.status}`}>{i.status}</span>
                        </td>
                        <td>{i.reviewer ?? '—'}</td>
                        <td>{i.scores.map((s) => `${s.name}=${String(s.value)}`).join(', ') || '—'}</td>
                        <td>{i.comment ?? ''}</td>
                        <td>{i.doneAt ? formatTime(i.doneAt) : ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            }
          </QueryView>
        </div>
      )}
    </QueryView>
  );
}
