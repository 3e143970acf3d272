/**
 * `promptline.deploy.yaml`: deployments as code. Which version (or weighted variants) each
 * environment serves, per prompt; `promptline push` deploys what differs, `status` shows it.
 *
 * ```yaml
 * environments:
 *   production:
 *     support/triage: 3                  # one version
 *     support/reply: latest              # the prompt's newest version (after this push)
 *     billing/refund:                    # weighted variants, basis points summing to 10000
 *       variants: [{ version: 4, weight: 500 }, { version: 3, weight: 9500 }]
 *   staging:
 *     support/triage: { version: latest, enabled: false }   # kill switch
 * ```
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { EnvironmentName, PromptName, RowId } from '../schemas.ts';

/** A version in the deploy file: a number, or `latest` (the head once this push is applied). */
export type DeployVersionRef = number | 'latest';

const VersionRef = z.union([RowId, z.literal('latest')]);

const Target = z.union([
  VersionRef,
  z.object({ version: VersionRef, enabled: z.boolean().optional() }).strict(),
  z
    .object({
      variants: z
        .array(z.object({ version: VersionRef, weight: z.number().int().min(0).max(10_000) }).strict())
        .min(1)
        .max(20),
      enabled: z.boolean().optional(),
    })
    .strict(),
]);

const DeployFileSchema = z
  .object({
    environments: z.record(EnvironmentName, z.record(PromptName, Target).nullable()),
  })
  .strict();

/** What one environment should serve for one prompt. */
export interface DesiredRelease {
  environment: string;
  prompt: string;
  variants: Array<{ version: DeployVersionRef; weight: number }>;
  enabled: boolean;
}

function invalid(message: string): AppError {
  return new AppError('DEPLOY_FILE_INVALID', `${message}.`);
}

/**
 * Reads `promptline.deploy.yaml` into one {@link DesiredRelease} per environment and prompt, in
 * the file's order. Weights are checked as a deploy checks them.
 *
 * @throws AppError DEPLOY_FILE_INVALID naming the environment, prompt and field.
 */
export function parseDeployFile(text: string): DesiredRelease[] {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: false, maxAliasCount: 100 });
  } catch (error) {
    throw invalid(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return [];
  const parsed = DeployFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0];
    const path = issue?.path.map(String).join(' → ') ?? '';
    const what =
      issue?.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.join(', ')}`
        : path.split(' → ').length >= 3
          ? 'expected a version number, `latest`, `{version, enabled?}` or `{variants: [{version, weight}], enabled?}`'
          : (issue?.message ?? 'invalid');
    throw invalid(
      `${path === '' ? 'the file' : path}: ${what} (the file is \`environments: { <env>: { <prompt>: <version> } }\`)`,
    );
  }
  const releases: DesiredRelease[] = [];
  for (const [environment, prompts] of Object.entries(parsed.data.environments)) {
    for (const [prompt, target] of Object.entries(prompts ?? {})) {
      if (typeof target === 'number' || typeof target === 'string') {
        releases.push({
          environment,
          prompt,
          variants: [{ version: target, weight: 10_000 }],
          enabled: true,
        });
      } else if ('version' in target) {
        releases.push({
          environment,
          prompt,
          variants: [{ version: target.version, weight: 10_000 }],
          enabled: target.enabled ?? true,
        });
      } else {
        // Same rules as a deploy (sum 10 000, each version once), checked before anything is written.
        const sum = target.variants.reduce((total, variant) => total + variant.weight, 0);
        if (sum !== 10_000) {
          throw invalid(
            `${environment} → ${prompt}: weights sum to ${sum}; they must sum to 10000 (basis points)`,
          );
        }
        const versions = target.variants.map((variant) => String(variant.version));
        const repeated = versions.find((version, i) => versions.indexOf(version) !== i);
        if (repeated !== undefined)
          throw invalid(`${environment} → ${prompt}: version ${repeated} is listed twice`);
        releases.push({ environment, prompt, variants: target.variants, enabled: target.enabled ?? true });
      }
    }
  }
  return releases;
}
