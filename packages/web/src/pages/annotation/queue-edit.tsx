/**
 * Changing and deleting an annotation queue (`PATCH` / `DELETE /api/v1/annotation-queues/{id}`):
 * its name, description, score definitions, assignees and sampling rule (a share of the new traces
 * of a prompt, in one environment or any, added by the `annotation.sample` job; off: no rule).
 */
import type { AnnotationQueue, ScoreDefinition, UpdateAnnotationQueueRequest } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { annotationApi } from '../../api/annotation.ts';
import { ConfirmAction, FormDialog } from '../../components/dialog.tsx';
import { QueryView } from '../../components/states.tsx';
import { describeDefinition } from './queues.tsx';

interface QueueDraft {
  name: string;
  description: string;
  scoreDefinitions: string[];
  assignees: string;
  sampling: boolean;
  prompt: string;
  env: string;
  /** The sampling rate in percent, as typed. */
  percent: string;
}

function draftOf(q: AnnotationQueue): QueueDraft {
  return {
    name: q.name,
    description: q.description,
    scoreDefinitions: q.scoreDefinitions,
    assignees: q.assignees.join(', '),
    sampling: q.sampling !== null,
    prompt: q.sampling?.prompt ?? '',
    env: q.sampling?.env ?? '',
    percent: q.sampling ? String(Math.round(q.sampling.rate * 100_000) / 1000) : '10',
  };
}

/** The PATCH body for a draft: only what changed (a new sampling rule restarts sampling from now). */
export function queueChanges(q: AnnotationQueue, d: QueueDraft): UpdateAnnotationQueueRequest {
  const assignees = d.assignees
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const sampling = d.sampling
    ? {
        prompt: d.prompt.trim(),
        ...(d.env.trim() ? { env: d.env.trim() } : {}),
        rate: Number(d.percent) / 100,
      }
    : null;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return {
    ...(d.name.trim() !== q.name ? { name: d.name.trim() } : {}),
    ...(d.description !== q.description ? { description: d.description } : {}),
    ...(same(d.scoreDefinitions, q.scoreDefinitions) ? {} : { scoreDefinitions: d.scoreDefinitions }),
    ...(same(assignees, q.assignees) ? {} : { assignees }),
    ...(same(sampling, q.sampling) ? {} : { sampling }),
  };
}

export function EditQueue({ queue: q, onClose }: { queue: AnnotationQueue; onClose: () => void }) {
  const client = useQueryClient();
  const definitions = useQuery({ queryKey: ['score-definitions'], queryFn: annotationApi.definitions });
  const [d, setDraft] = useState(() => draftOf(q));
  const set = <K extends keyof QueueDraft>(key: K, value: QueueDraft[K]) => setDraft({ ...d, [key]: value });
  const save = useMutation({
    mutationFn: () => annotationApi.updateQueue(q.id, queueChanges(q, d)),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['annotation-queues'] });
      await client.invalidateQueries({ queryKey: ['annotation-queue', q.id] });
      onClose();
    },
  });
  return (
    <FormDialog
      title={`Edit queue “${q.name}”`}
      label="Edit queue"
      wide
      submitLabel="Save queue"
      pending={save.isPending}
      disabled={d.name.trim() === '' || d.scoreDefinitions.length === 0}
      error={save.error}
      onSubmit={() => save.mutate()}
      onClose={onClose}
    >
      <label>
        Name
        <input value={d.name} onChange={(e) => set('name', e.target.value)} required />
      </label>
      <label>
        Description
        <input value={d.description} onChange={(e) => set('description', e.target.value)} />
      </label>
      <fieldset>
        <legend>Scores reviewers give</legend>
        <QueryView query={definitions} loadingLabel="Loading score definitions…">
          {(defs: ScoreDefinition[]) => (
            <>
              {defs.map((def) => (
                <label key={def.id} className="inline">
                  <input
                    type="checkbox"
                    checked={d.scoreDefinitions.includes(def.name)}
                    onChange={(e) =>
                      set(
                        'scoreDefinitions',
                        e.target.checked
                          ? [...d.scoreDefinitions, def.name]
                          : d.scoreDefinitions.filter((x) => x !== def.name),
                      )
                    }
                  />{' '}
                  {def.name} <span className="muted small">({describeDefinition(def)})</span>
                </label>
              ))}
            </>
          )}
        </QueryView>
        <p className="muted small">Items already completed keep the scores they were given.</p>
      </fieldset>
      <label>
        Assignees (emails, comma-separated; empty: any reviewer)
        <input value={d.assignees} onChange={(e) => set('assignees', e.target.value)} />
      </label>
      <fieldset>
        <legend>Sampling</legend>
        <label className="inline">
          <input type="checkbox" checked={d.sampling} onChange={(e) => set('sampling', e.target.checked)} />{' '}
          Sample new traces into the queue
        </label>
        {d.sampling ? (
          <div className="row wrap">
            <label className="grow">
              Prompt
              <input
                value={d.prompt}
                onChange={(e) => set('prompt', e.target.value)}
                required
                placeholder="support/refunds"
              />
            </label>
            <label>
              Environment
              <input value={d.env} onChange={(e) => set('env', e.target.value)} placeholder="any" />
            </label>
            <label>
              Rate (%)
              <input
                type="number"
                step="any"
                value={d.percent}
                onChange={(e) => set('percent', e.target.value)}
                required
              />
            </label>
          </div>
        ) : null}
        <p className="muted small">
          Every 30 seconds a job adds that share of the prompt’s new traces (picked by trace id, each at most
          once). A changed rule samples from now on; off stops it, the items already added stay.
        </p>
      </fieldset>
    </FormDialog>
  );
}

export function DeleteQueue({ queue: q, onClose }: { queue: AnnotationQueue; onClose: () => void }) {
  const [, navigate] = useLocation();
  return (
    <ConfirmAction
      title={`Delete queue “${q.name}”?`}
      confirmLabel="Delete queue"
      action={() => annotationApi.deleteQueue(q.id)}
      invalidate={[['annotation-queues']]}
      // Away from the queue's page, so nothing asks for the queue that is gone.
      onDone={() => navigate('/queues')}
      onClose={onClose}
    >
      <p>
        The queue and its {q.progress.total} item{q.progress.total === 1 ? '' : 's'} are deleted, reviews in
        progress included. Scores already given stay on their traces.
      </p>
    </ConfirmAction>
  );
}
