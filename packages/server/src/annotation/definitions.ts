/**
 * Score definitions: per project, what a score of a name may hold (a number in a range, a boolean,
 * one of some categories). Every score written under a defined name is checked against it
 * (`check`, which the trace service calls inside its writing transaction); names without a
 * definition stay free, as before definitions existed.
 */
import {
  AppError,
  type CreateScoreDefinitionRequest,
  type ScoreDefinition,
  scoreValueProblem,
  type UpdateScoreDefinitionRequest,
} from '@promptline/core';
import type { AuditService } from '../audit/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database, Db } from '../db/database.ts';
import { onUniqueViolation } from '../db/database.ts';
import { createDefinitionStore, type StoredDefinition } from './definition-store.ts';

function publicDefinition(d: StoredDefinition): ScoreDefinition {
  const { projectId: _p, ...rest } = d;
  return rest;
}

export function definitionNotFound(what: number | string): AppError {
  return new AppError(
    'SCORE_DEFINITION_NOT_FOUND',
    `No score definition ${typeof what === 'string' ? `"${what}"` : what} in this project.`,
    {
      hint: 'List them with GET /api/v1/score-definitions, or create it with POST /api/v1/score-definitions.',
    },
  );
}

export interface ScoreDefinitionServiceOptions {
  database: Database;
  clock: Clock;
  audit: AuditService;
  /** The annotation queues that use a score definition (a used definition is not deleted). */
  queuesUsing: (db: Db, projectId: number, name: string) => Promise<{ id: number; name: string }[]>;
}

export function createScoreDefinitionService({
  database,
  clock,
  audit,
  queuesUsing,
}: ScoreDefinitionServiceOptions) {
  const store = createDefinitionStore();

  async function requireDefinition(db: Db, projectId: number, id: number): Promise<StoredDefinition> {
    const d = await store.find(db, projectId, id);
    if (!d) throw definitionNotFound(id);
    return d;
  }

  return {
    async list(projectId: number): Promise<ScoreDefinition[]> {
      return (await store.list(database.db, projectId)).map(publicDefinition);
    },

    /** The definitions of these names, in the order asked. @throws AppError SCORE_DEFINITION_NOT_FOUND */
    async byNames(db: Db, projectId: number, names: readonly string[]): Promise<ScoreDefinition[]> {
      const found = new Map((await store.byNames(db, projectId, names)).map((d) => [d.name, d]));
      return names.map((name) => {
        const d = found.get(name);
        if (!d) throw definitionNotFound(name);
        return publicDefinition(d);
      });
    },

    /**
     * Checks a score about to be written against its name's definition, if there is one.
     * @throws AppError SCORE_VALUE_INVALID
     */
    async check(db: Db, projectId: number, name: string, value: number | boolean | string): Promise<void> {
      const [definition] = await store.byNames(db, projectId, [name]);
      if (!definition) return;
      const problem = scoreValueProblem(definition, value);
      if (problem) {
        throw new AppError(
          'SCORE_VALUE_INVALID',
          `Score "${name}" ${problem} (its definition, GET /api/v1/score-definitions/${definition.id}, says so).`,
          { errors: [{ path: 'value', message: problem }] },
        );
      }
    },

    /** @throws AppError SCORE_DEFINITION_EXISTS */
    async create(
      projectId: number,
      request: CreateScoreDefinitionRequest,
      actor: string,
    ): Promise<ScoreDefinition> {
      const at = isoNow(clock);
      const created = await database.db.transaction().execute(async (trx) => {
        const row = await onUniqueViolation(
          () =>
            store.insert(trx, {
              projectId,
              name: request.name,
              description: request.description,
              dataType: request.dataType,
              min: request.dataType === 'numeric' ? request.min : null,
              max: request.dataType === 'numeric' ? request.max : null,
              categories: request.dataType === 'categorical' ? request.categories : [],
              createdBy: actor,
              createdAt: at,
              updatedAt: at,
            }),
          () =>
            new AppError(
              'SCORE_DEFINITION_EXISTS',
              `A score definition "${request.name}" exists already. Change it with PATCH /api/v1/score-definitions/{id}.`,
            ),
        );
        await audit.append(trx, {
          projectId,
          actor,
          action: 'score_definition.create',
          targetType: 'score_definition',
          target: String(row.id),
          data: { after: { ...request } },
        });
        return row;
      });
      return publicDefinition(created);
    },

    /**
     * Changes the description, or the range / categories of the definition's own type.
     * @throws AppError SCORE_DEFINITION_NOT_FOUND, VALIDATION_FAILED
     */
    async update(
      projectId: number,
      id: number,
      request: UpdateScoreDefinitionRequest,
      actor: string,
    ): Promise<ScoreDefinition> {
      const updated = await database.db.transaction().execute(async (trx) => {
        const d = await requireDefinition(trx, projectId, id);
        const wrongType =
          (d.dataType !== 'numeric' && (request.min !== undefined || request.max !== undefined)) ||
          (d.dataType !== 'categorical' && request.categories !== undefined);
        const min = request.min === undefined ? d.min : request.min;
        const max = request.max === undefined ? d.max : request.max;
        const categories = request.categories ?? d.categories;
        if (
          wrongType ||
          (min !== null && max !== null && min > max) ||
          new Set(categories).size !== categories.length
        ) {
          throw new AppError(
            'VALIDATION_FAILED',
            `Score definition "${d.name}" is ${d.dataType}: ${d.dataType === 'numeric' ? 'min must not exceed max' : d.dataType === 'categorical' ? 'categories must be distinct' : 'only its description changes'}.`,
            {
              errors: [
                {
                  path: wrongType ? 'dataType' : d.dataType === 'numeric' ? 'max' : 'categories',
                  message: 'does not fit the definition’s type',
                },
              ],
            },
          );
        }
        const row = await store.update(trx, id, {
          description: request.description ?? d.description,
          min,
          max,
          categories,
          updatedAt: isoNow(clock),
        });
        await audit.append(trx, {
          projectId,
          actor,
          action: 'score_definition.update',
          targetType: 'score_definition',
          target: String(id),
          data: { after: { ...request } },
        });
        return row;
      });
      return publicDefinition(updated);
    },

    /** @throws AppError SCORE_DEFINITION_NOT_FOUND, SCORE_DEFINITION_IN_USE */
    async remove(projectId: number, id: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        const d = await requireDefinition(trx, projectId, id);
        const queues = await queuesUsing(trx, projectId, d.name);
        if (queues.length > 0) {
          const named = queues.map((q) => `"${q.name}" (id ${q.id})`).join(', ');
          throw new AppError(
            'SCORE_DEFINITION_IN_USE',
            `Score definition "${d.name}" is used by annotation queue${queues.length > 1 ? 's' : ''} ${named}. Take it out of ${queues.length > 1 ? 'each' : 'the'} queue (PATCH /api/v1/annotation-queues/{id}) or delete the queue first.`,
            { details: { queues } },
          );
        }
        await store.remove(trx, id);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'score_definition.delete',
          targetType: 'score_definition',
          target: String(id),
          data: { before: { name: d.name } },
        });
      });
    },
  };
}

export type ScoreDefinitionService = ReturnType<typeof createScoreDefinitionService>;
