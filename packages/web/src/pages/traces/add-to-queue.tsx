import type { AddAnnotationItemsInput, AddAnnotationItemsResult } from '@promptline/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'wouter';
import { annotationApi } from '../../api/annotation.ts';
import type { TraceFilters } from '../../api/traces.ts';
import { Modal } from '../../components/dialog.tsx';
import { ProblemView } from '../../components/states.tsx';

/** What goes to the queue: the traces ticked in the list, or every trace the list's filter matches. */
export type QueueTarget =
  | { kind: 'ids'; traceIds: string[] }
  | { kind: 'filter'; filters: TraceFilters; count: number };

/** "Add to queue": pick an annotation queue; `POST /api/v1/annotation-queues/{id}/items`. */
export function AddToQueueDialog({ target, onClose }: { target: QueueTarget; onClose: () => void }) {
  const queues = useQuery({ queryKey: ['annotation-queues'], queryFn: annotationApi.queues });
  const [choice, setChoice] = useState('');
  const [limit, setLimit] = useState(target.kind === 'filter' ? Math.min(100, Math.max(1, target.count)) : 1);
  const [done, setDone] = useState<AddAnnotationItemsResult | null>(null);
  const queueId = Number(choice || queues.data?.[0]?.id || 0);
  const add = useMutation({
    mutationFn: () =>
      annotationApi.addItems(
        queueId,
        target.kind === 'ids'
          ? { traces: target.traceIds.map((traceId) => ({ traceId })) }
          : // The page's query string as is: the server validates (and coerces) it like the list.
            { filter: target.filters as AddAnnotationItemsInput['filter'], limit },
      ),
    onSuccess: setDone,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <Modal title="Add to annotation queue" onClose={onClose}>
      {(close) =>
        done ? (
          <div className="stack">
            <p role="status">
              Added {done.added} trace{done.added === 1 ? '' : 's'}
              {done.alreadyQueued > 0 ? ` (${done.alreadyQueued} already queued)` : ''}.{' '}
              <Link href={`/queues/${queueId}`}>Open the queue</Link>
            </p>
            <div>
              <button type="button" onClick={close}>
                Close
              </button>
            </div>
          </div>
        ) : (
          <form className="stack" onSubmit={submit}>
            {queues.data && queues.data.length === 0 ? (
              <p>
                No annotation queue yet. <Link href="/queues">Create one</Link> first.
              </p>
            ) : (
              <label>
                Queue
                <select value={choice || String(queueId)} onChange={(e) => setChoice(e.target.value)}>
                  {queues.data?.map((q) => (
                    <option key={q.id} value={q.id}>
                      {q.name} ({q.progress.total} items)
                    </option>
                  ))}
                </select>
              </label>
            )}
            {target.kind === 'ids' ? (
              <p>
                {target.traceIds.length} selected trace{target.traceIds.length === 1 ? '' : 's'}.
              </p>
            ) : (
              <label>
                Traces matching the filter, newest first, at most
                <input
                  type="number"
                  min={1}
                  max={1000}
                  value={limit}
                  onChange={(e) => setLimit(Number(e.target.value))}
                />
              </label>
            )}
            {add.error ? <ProblemView error={add.error} /> : null}
            <div className="toolbar">
              <button type="submit" disabled={add.isPending || queueId === 0}>
                Add to queue
              </button>
              <button type="button" className="ghost" onClick={close}>
                Cancel
              </button>
            </div>
          </form>
        )
      }
    </Modal>
  );
}
