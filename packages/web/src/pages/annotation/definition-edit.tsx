/**
 * Changing and deleting a score definition (`PATCH` / `DELETE /api/v1/score-definitions/{id}`).
 * The name and the type stay (scores already written hold them): a numeric definition changes its
 * range, a categorical one its categories, every one its description. A definition a queue uses is
 * refused by the server (`SCORE_DEFINITION_IN_USE`), shown in the dialog.
 */
import type { ScoreDefinition, UpdateScoreDefinitionRequest } from '@promptline/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { annotationApi } from '../../api/annotation.ts';
import { ConfirmAction, FormDialog } from '../../components/dialog.tsx';

const bound = (text: string) => (text.trim() === '' ? null : Number(text));
const categoryList = (text: string) =>
  text
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);

/** The PATCH body for the edited fields: only what changed. */
export function definitionChanges(
  d: ScoreDefinition,
  edited: { description: string; min: string; max: string; categories: string },
): UpdateScoreDefinitionRequest {
  const min = bound(edited.min);
  const max = bound(edited.max);
  const categories = categoryList(edited.categories);
  return {
    ...(edited.description !== d.description ? { description: edited.description } : {}),
    ...(d.dataType === 'numeric' && min !== d.min ? { min } : {}),
    ...(d.dataType === 'numeric' && max !== d.max ? { max } : {}),
    ...(d.dataType === 'categorical' && categories.join('\n') !== d.categories.join('\n')
      ? { categories }
      : {}),
  };
}

export function EditDefinition({
  definition: d,
  onClose,
}: {
  definition: ScoreDefinition;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const [description, setDescription] = useState(d.description);
  const [min, setMin] = useState(d.min === null ? '' : String(d.min));
  const [max, setMax] = useState(d.max === null ? '' : String(d.max));
  const [categories, setCategories] = useState(d.categories.join(', '));
  const save = useMutation({
    mutationFn: () =>
      annotationApi.updateDefinition(d.id, definitionChanges(d, { description, min, max, categories })),
    onSuccess: async () => {
      // Queue pages spell the definitions out too.
      await client.invalidateQueries({ queryKey: ['score-definitions'] });
      await client.invalidateQueries({ queryKey: ['annotation-queue'] });
      onClose();
    },
  });
  return (
    <FormDialog
      title={`Edit score “${d.name}”`}
      label="Edit score definition"
      submitLabel="Save definition"
      pending={save.isPending}
      error={save.error}
      onSubmit={() => save.mutate()}
      onClose={onClose}
    >
      <p className="muted small">
        {d.name} is {d.dataType}: the name and the type stay, since scores already written hold them.
      </p>
      {d.dataType === 'numeric' ? (
        <div className="row">
          <label>
            Min
            <input
              value={min}
              onChange={(e) => setMin(e.target.value)}
              type="number"
              step="any"
              placeholder="none"
            />
          </label>
          <label>
            Max
            <input
              value={max}
              onChange={(e) => setMax(e.target.value)}
              type="number"
              step="any"
              placeholder="none"
            />
          </label>
        </div>
      ) : null}
      {d.dataType === 'categorical' ? (
        <label>
          Categories (comma-separated)
          <input value={categories} onChange={(e) => setCategories(e.target.value)} required />
        </label>
      ) : null}
      <label>
        Description
        <input value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <p className="muted small">
        Scores already written stay as they are; new ones are checked against the change.
      </p>
    </FormDialog>
  );
}

export function DeleteDefinition({
  definition: d,
  onClose,
}: {
  definition: ScoreDefinition;
  onClose: () => void;
}) {
  return (
    <ConfirmAction
      title={`Delete score “${d.name}”?`}
      confirmLabel="Delete definition"
      action={() => annotationApi.deleteDefinition(d.id)}
      invalidate={[['score-definitions']]}
      onClose={onClose}
    >
      <p>
        Scores named {d.name} already written stay on their traces; new ones are no longer checked. A
        definition an annotation queue uses cannot be deleted: take it out of the queue first.
      </p>
    </ConfirmAction>
  );
}
