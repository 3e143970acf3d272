/**
 * Promotion: the version an environment serves goes to the next one through that one's gates. The
 * gates are evaluated and shown before anything changes: the source serves one enabled version,
 * has served it for the minimum soak time, no alert fires on it there and no rollout is moving it;
 * the target's own gates (policy approvals, eval gate, freezes, partials) are evaluated by trying
 * the deploy in a transaction that is rolled back unless every gate passed.
 */
import {
  AppError,
  isAppError,
  type PromoteRequest,
  type Promotion,
  type PromotionGate,
  singleVersion,
} from '@promptline/core';
import type { AlertService } from '../alerts/service.ts';
import type { Principal } from '../auth/service.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';
import type { DeploymentService } from '../deployments/service.ts';
import type { RequestService } from '../requests/service.ts';
import type { RolloutService } from '../rollouts/service.ts';

/** Thrown inside the trial transaction to roll it back. */
class TrialOnly extends Error {}

function duration(seconds: number): string {
  if (seconds >= 86_400) return `${(seconds / 86_400).toFixed(1)} d`;
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds)} s`;
}

export function createPromotionService({
  database,
  clock,
  deployments,
  rollouts,
  alerts,
  requests,
}: {
  database: Database;
  clock: Clock;
  deployments: DeploymentService;
  rollouts: Pick<RolloutService, 'activeIn'>;
  alerts: Pick<AlertService, 'list'>;
  /** Opens the request of a promotion whose target needs approvals (`request: true`). */
  requests?: Pick<RequestService, 'create'>;
}) {
  return {
    /**
     * Evaluates the gates and, when all pass and it is not a dry run, deploys the source's version
     * to the target.
     *
     * @throws AppError PROMOTION_BLOCKED (with `details.gates`), PROMPT_NOT_FOUND, ENVIRONMENT_NOT_FOUND
     */
    async promote(
      projectId: number,
      name: string,
      body: PromoteRequest,
      actor: Principal,
    ): Promise<Promotion> {
      const gates: PromotionGate[] = [];
      const source = await database.db
        .transaction()
        .execute((trx) => deployments.locate(trx, projectId, name, body.from));
      await database.db.transaction().execute((trx) => deployments.locate(trx, projectId, name, body.to));
      const current = source.current;
      const version = current?.enabled ? singleVersion(current.variants) : null;
      gates.push({
        name: 'source',
        ok: version !== null,
        detail:
          version !== null
            ? `${body.from} serves v${version}`
            : !current
              ? `${body.from} serves nothing of "${name}"`
              : !current.enabled
                ? `${body.from} has "${name}" switched off`
                : `${body.from} serves several variants (${current.variants.map((v) => `v${v.version}:${v.weight}`).join(', ')}): finish the rollout or experiment first`,
      });
      if (current) {
        const soaked = (clock.now().getTime() - Date.parse(current.updatedAt)) / 1000;
        gates.push({
          name: 'soak',
          ok: soaked >= body.minSoakSeconds,
          detail: `live in ${body.from} for ${duration(soaked)}${body.minSoakSeconds > 0 ? ` (minimum ${duration(body.minSoakSeconds)})` : ' (no minimum asked)'}`,
        });
      }
      const firing = (await alerts.list(projectId)).filter(
        (rule) =>
          rule.enabled &&
          rule.state === 'firing' &&
          (rule.prompt === null || rule.prompt === name) &&
          (rule.version === null || rule.version === version) &&
          (rule.environment === null || rule.environment === body.from),
      );
      const moving = await rollouts.activeIn(database.db, source.prompt.id, source.env.id);
      gates.push({
        name: 'guardrails',
        ok: firing.length === 0 && !moving,
        detail: [
          firing.length === 0
            ? `no alert firing on it in ${body.from}`
            : `firing in ${body.from}: ${firing.map((r) => `"${r.name}" (rule ${r.id})`).join(', ')}`,
          moving ? `rollout ${moving.id} is ${moving.status} there` : 'no rollout in progress there',
        ].join('; '),
      });
      let historyId: number | null = null;
      let promoted = false;
      let requestId: number | null = null;
      let needsApproval = false;
      if (version !== null) {
        const commit = gates.every((g) => g.ok) && !body.dryRun;
        try {
          await database.db.transaction().execute(async (trx) => {
            const { deployment, changed } = await deployments.deployInTransaction(
              trx,
              projectId,
              name,
              body.to,
              { version, reason: `promoted from ${body.from}${body.reason ? `: ${body.reason}` : ''}` },
              actor,
            );
            gates.push({
              name: 'target',
              ok: true,
              detail: changed
                ? `${body.to} accepts v${version} (policy, eval gate, partials)`
                : `${body.to} already serves v${version}`,
            });
            if (!commit) throw new TrialOnly();
            historyId = changed ? deployment.historyId : null;
            promoted = changed;
          });
        } catch (error) {
          if (error instanceof TrialOnly) {
            // The trial answered; nothing it wrote is kept.
          } else if (isAppError(error)) {
            needsApproval = error.code === 'APPROVAL_REQUIRED';
            gates.push({ name: 'target', ok: false, detail: `${error.code}: ${error.message}` });
          } else {
            throw error;
          }
        }
      }
      // Only the approvals are missing: the way through is a request, asked for with `request: true`.
      const onlyApprovals = needsApproval && gates.filter((g) => !g.ok).every((g) => g.name === 'target');
      if (body.request && onlyApprovals && requests && version !== null && !body.dryRun) {
        const opened = await requests.create(
          projectId,
          name,
          body.to,
          { version, reason: `promoted from ${body.from}${body.reason ? `: ${body.reason}` : ''}` },
          actor,
        );
        requestId = opened.id;
        const target = gates.find((g) => g.name === 'target');
        if (target) {
          target.ok = true;
          target.detail = `${body.to} needs approvals: deployment request ${opened.id} opened (it deploys v${version} once approved)`;
        }
      }
      if (promoted) deployments.publish(projectId, body.to, name);
      const result: Promotion = {
        prompt: name,
        from: body.from,
        to: body.to,
        version,
        gates,
        promoted,
        historyId,
        requestId,
      };
      if (!body.dryRun && !gates.every((g) => g.ok)) {
        throw new AppError(
          'PROMOTION_BLOCKED',
          `Promoting "${name}" from ${body.from} to ${body.to} is blocked: ${gates
            .filter((g) => !g.ok)
            .map((g) => `${g.name}: ${g.detail}`)
            .join('; ')}.`,
          { details: { gates } },
        );
      }
      return result;
    },
  };
}

export type PromotionService = ReturnType<typeof createPromotionService>;
