import type { Prompt } from '@promptline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client.ts';
import { FormDialog } from '../../components/dialog.tsx';

/** Comma- or newline-separated text as a list (empty entries dropped). */
export const splitList = (text: string) =>
  text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Owner, reviewers and stakeholders of a prompt, shown in its header and edited in a dialog. */
export function Ownership({ prompt }: { prompt: Prompt }) {
  const [open, setOpen] = useState(false);
  const reviewers = prompt.reviewers ?? [];
  const stakeholders = prompt.stakeholders ?? [];
  return (
    <div className="ownership" data-testid="ownership">
      <span className="muted">
        Owner {prompt.owner || '—'} · reviewers {reviewers.length ? reviewers.join(', ') : '—'} · stakeholders{' '}
        {stakeholders.length ? stakeholders.join(', ') : '—'}
      </span>{' '}
      <button type="button" className="ghost" onClick={() => setOpen(true)}>
        Edit ownership
      </button>
      {open ? <OwnershipDialog prompt={prompt} onClose={() => setOpen(false)} /> : null}
    </div>
  );
}

function OwnershipDialog({ prompt, onClose }: { prompt: Prompt; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [owner, setOwner] = useState(prompt.owner);
  const [reviewers, setReviewers] = useState((prompt.reviewers ?? []).join(', '));
  const [stakeholders, setStakeholders] = useState((prompt.stakeholders ?? []).join(', '));
  const save = useMutation({
    mutationFn: () =>
      api.updatePrompt(prompt.name, {
        owner,
        reviewers: splitList(reviewers),
        stakeholders: splitList(stakeholders),
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['prompt', prompt.name] });
      await queryClient.invalidateQueries({ queryKey: ['prompts'] });
    },
  });
  return (
    <FormDialog
      title="Ownership"
      pending={save.isPending}
      error={save.error}
      onSubmit={(close) => save.mutate(undefined, { onSuccess: close })}
      onClose={onClose}
    >
      <label>
        Owner
        <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="A person or a team" />
      </label>
      <label>
        Reviewers
        <input
          value={reviewers}
          onChange={(e) => setReviewers(e.target.value)}
          placeholder="ada@example.com, grace@example.com"
        />
        <span className="muted">
          Emails; where an environment's policy says reviewers "prompt", only they approve its deploys.
        </span>
      </label>
      <label>
        Stakeholders
        <input
          value={stakeholders}
          onChange={(e) => setStakeholders(e.target.value)}
          placeholder="#support-leads, lin@example.com"
        />
        <span className="muted">
          Told of production changes: carried in every deployment.changed webhook.
        </span>
      </label>
    </FormDialog>
  );
}
