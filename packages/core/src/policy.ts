/**
 * Environment policies and deployment requests: the contract (zod) and the pure rules a deploy is
 * checked against. The server enforces them in its deploy service, so every way in (API, CLI, web,
 * Langfuse labels, deployments as code) obeys them alike.
 */
import { z } from 'zod';
import { AppError } from './errors.ts';
import { PLUGINS } from './redteam/plugins.ts';
import { RolloutRequestPlan } from './rollout-plan.ts';
import { SeverityName } from './severity-schema.ts';

/** A shipped red-team plugin id, or `harmful` for all of the harmful:* ones. */
const RequiredRedteamPlugin = z
  .string()
  .refine((id) => id === 'harmful' || PLUGINS.some((p) => p.id === id), {
    message: `an unknown red-team plugin; use harmful or one of ${PLUGINS.map((p) => p.id).join(', ')}`,
  });

/** Roles a policy can name (the reviewer role may approve but not deploy by default). */
const PolicyRole = z.enum(['admin', 'editor', 'reviewer', 'viewer']);

/** A window during which nothing may be deployed to the environment (rollback and kill switch stay open). */
export const FreezeWindow = z
  .object({
    from: z.iso.datetime({ offset: true }),
    until: z.iso.datetime({ offset: true }),
    reason: z.string().max(500).optional(),
  })
  .strict()
  .refine((w) => Date.parse(w.from) < Date.parse(w.until), {
    message: '`from` must be before `until`',
    path: ['until'],
  });

/**
 * What a deploy to an environment must satisfy. Every member is optional: the empty policy `{}`
 * (every environment's default) requires nothing, so installs deploy as before until an admin
 * sets one.
 */
export const EnvironmentPolicy = z
  .object({
    /** Approvals a deployment request needs before it deploys; 0 (default): direct deploys are allowed. */
    requiredApprovals: z.number().int().min(0).max(10).optional(),
    /** The author of a request may not approve it (default true). */
    noSelfApproval: z.boolean().optional(),
    /** Who may approve: members with role reviewer or above (`project`, default) or the prompt's reviewers (`prompt`). */
    reviewers: z.enum(['project', 'prompt']).optional(),
    /** The version must have met the prompt's stored thresholds in its latest eval run (on the prompt's gate dataset when set). */
    requireEvalPass: z.boolean().optional(),
    /**
     * The version's latest completed red-team run (a server run or an uploaded CLI run) must have
     * no finding at or above `failOn` (default high) and no probe that could not be sent
     * (`REDTEAM_GATE_FAILED`). With `plugins`, that run must also have attacked with each of them
     * (`harmful` names every harmful:* plugin); a plugin that needs tools is required only of
     * versions that declare tools.
     */
    requireRedteamPass: z
      .object({
        failOn: SeverityName.default('high'),
        plugins: z.array(RequiredRedteamPlugin).min(1).max(PLUGINS.length).optional(),
      })
      .strict()
      .optional(),
    /** Roles allowed to deploy or request a deploy (default editor and admin). */
    deployRoles: z.array(PolicyRole).min(1).max(4).optional(),
    /** Windows in which deploys are refused (`DEPLOY_FROZEN`). */
    freeze: z.array(FreezeWindow).max(20).optional(),
    /**
     * Whether versions saved on a branch may be deployed here. Default: yes while the policy is
     * empty (development, experiments), no once it sets anything else — a governed environment
     * serves main-line versions only (`BRANCH_VERSION_NOT_ALLOWED`) unless this says `true`.
     */
    allowBranches: z.boolean().optional(),
  })
  .strict();

/**
 * Whether an environment with this (stored) policy accepts versions saved on a branch: as its
 * `allowBranches` says, else only while the policy sets nothing at all.
 */
export function allowsBranchVersions(policy: EnvironmentPolicy): boolean {
  if (policy.allowBranches !== undefined) return policy.allowBranches;
  return Object.values(policy).every((value) => value === undefined);
}
export type EnvironmentPolicy = z.infer<typeof EnvironmentPolicy>;

/** Presets an admin can apply with `PATCH /api/v1/environments/{env}` `{"policyPreset": …}`. */
export const PolicyPreset = z.enum(['protected', 'none']);
export type PolicyPreset = z.infer<typeof PolicyPreset>;

/** The policy each preset stands for: `protected` is one approval by someone else and a passing eval. */
export const POLICY_PRESETS: Record<PolicyPreset, EnvironmentPolicy> = {
  protected: { requiredApprovals: 1, noSelfApproval: true, requireEvalPass: true },
  none: {},
};

/** The policy with its defaults filled in. */
/** What the red-team gate asks of a version's latest completed run. */
export interface RedteamRule {
  failOn: 'low' | 'medium' | 'high' | 'critical';
  /** Plugins the run must have attacked with (ids, or `harmful` for every harmful:* plugin). */
  plugins?: string[] | undefined;
}

export interface EffectivePolicy {
  requiredApprovals: number;
  noSelfApproval: boolean;
  reviewers: 'project' | 'prompt';
  requireEvalPass: boolean;
  /** The red-team gate's severity, or null when the policy sets none. */
  requireRedteamPass: RedteamRule | null;
  deployRoles: string[];
  freeze: { from: string; until: string; reason?: string | undefined }[];
}

export function effectivePolicy(policy: EnvironmentPolicy): EffectivePolicy {
  return {
    requiredApprovals: policy.requiredApprovals ?? 0,
    noSelfApproval: policy.noSelfApproval ?? true,
    reviewers: policy.reviewers ?? 'project',
    requireEvalPass: policy.requireEvalPass ?? false,
    requireRedteamPass: policy.requireRedteamPass ?? null,
    deployRoles: policy.deployRoles ?? ['editor', 'admin'],
    freeze: policy.freeze ?? [],
  };
}

/** The freeze window covering `at`, if any. */
export function activeFreeze(policy: EffectivePolicy, at: Date) {
  const t = at.getTime();
  return policy.freeze.find((w) => Date.parse(w.from) <= t && t < Date.parse(w.until));
}

/**
 * The checks of a deploy that do not depend on approvals or evals: the caller's role and freeze
 * windows.
 *
 * @throws AppError FORBIDDEN when the role may not deploy there; DEPLOY_FROZEN inside a freeze window.
 */
export function checkDeployer(
  policy: EffectivePolicy,
  environment: string,
  role: string | undefined,
  at: Date,
): void {
  if (role !== undefined && !policy.deployRoles.includes(role)) {
    throw new AppError(
      'FORBIDDEN',
      `The policy of ${environment} lets only ${policy.deployRoles.join(', ')} deploy; your role is ${role}.`,
      { details: { environment, deployRoles: policy.deployRoles, role } },
    );
  }
  const frozen = activeFreeze(policy, at);
  if (frozen) {
    throw new AppError(
      'DEPLOY_FROZEN',
      `${environment} is frozen until ${frozen.until}${frozen.reason ? ` (${frozen.reason})` : ''}; deploys wait until then. Rollback and the kill switch still work.`,
      { details: { environment, freeze: frozen } },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Deployment requests

export const DeploymentRequestStatus = z.enum(['pending', 'deployed', 'rejected', 'cancelled', 'stale']);
export type DeploymentRequestStatus = z.infer<typeof DeploymentRequestStatus>;

export const RequestDecision = z.object({
  user: z.string(),
  userId: z.number().int().nullable(),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().nullable(),
  at: z.string(),
});
export type RequestDecision = z.infer<typeof RequestDecision>;

/** A version against the environment's red-team gate: the run that decides it and why it fails, if it does. */
export const RedteamGateState = z.object({
  version: z.number().int(),
  failOn: SeverityName,
  /** The version's latest completed red-team run; null when it has none. */
  runId: z.number().int().nullable(),
  passed: z.boolean(),
  reason: z.string().nullable(),
});
export type RedteamGateState = z.infer<typeof RedteamGateState>;

export const DeploymentRequest = z.object({
  id: z.number().int(),
  prompt: z.string(),
  environment: z.string(),
  status: DeploymentRequestStatus,
  variants: z.array(z.object({ version: z.number().int(), weight: z.number().int() })),
  enabled: z.boolean(),
  reason: z.string(),
  author: z.string(),
  authorId: z.number().int().nullable(),
  requiredApprovals: z.number().int(),
  approvals: z.number().int(),
  decisions: z.array(RequestDecision),
  /** The history entry live when the request was made (null: nothing was live). */
  baseHistoryId: z.number().int().nullable(),
  /** The prompt's latest version when the request was made. */
  headVersion: z.number().int().nullable(),
  /** The history entry the request deployed, once deployed. */
  historyId: z.number().int().nullable(),
  /** Why it went stale, when it did. */
  staleReason: z.string().nullable(),
  /** A guarded rollout of the single version in `variants`, started by the approval that completes the quorum. */
  rollout: RolloutRequestPlan.nullable(),
  /** Where each version stands with the environment's gates while pending (empty when its policy sets none, or once decided). */
  gates: z.object({ redteam: z.array(RedteamGateState) }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DeploymentRequest = z.infer<typeof DeploymentRequest>;

export const DecisionBody = z.object({ comment: z.string().max(2000).optional() }).strict();

export const DeploymentRequestQuery = z.object({
  status: DeploymentRequestStatus.optional(),
  prompt: z.string().max(300).optional(),
  environment: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
