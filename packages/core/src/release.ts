/**
 * Releases: what an environment serves for a prompt — one or more `{version, weight}` variants
 * (basis points summing to 10 000) and a kill switch. See bucketing.ts for the rollout convention
 * (new version listed first, growing).
 */
import { BUCKETS, bucketOf, pickVariant } from './bucketing.ts';
import { AppError, type FieldIssue } from './errors.ts';
import type { DeployRequest, Variant } from './schemas.ts';

/**
 * Normalises a deploy request body into variants: `{version}` becomes `[{version, weight: 10000}]`;
 * `{variants}` is checked and copied in the order given. `enabled` defaults to true.
 *
 * @throws AppError `INVALID_WEIGHTS` when the list is empty, a weight is not an integer in
 * 0…10 000, a version repeats, or the weights do not sum to 10 000; `errors` lists each offending
 * field (`variants.1.weight`, `variants.2.version`, `variants`).
 */
export function normalizeRelease(request: DeployRequest): { variants: Variant[]; enabled: boolean } {
  const enabled = request.enabled ?? true;
  if ('version' in request) {
    return { variants: [{ version: request.version, weight: BUCKETS }], enabled };
  }
  const errors: FieldIssue[] = [];
  const { variants } = request;
  if (variants.length === 0) {
    errors.push({
      path: 'variants',
      message: 'list at least one variant, e.g. [{"version": 3, "weight": 10000}]',
    });
  }
  const seen = new Map<number, number>();
  let sum = 0;
  variants.forEach((variant, i) => {
    if (!Number.isInteger(variant.weight) || variant.weight < 0 || variant.weight > BUCKETS) {
      errors.push({
        path: `variants.${i}.weight`,
        message: `weight must be a whole number of basis points from 0 to ${BUCKETS} (got ${variant.weight})`,
      });
    } else {
      sum += variant.weight;
    }
    const first = seen.get(variant.version);
    if (first === undefined) {
      seen.set(variant.version, i);
    } else {
      errors.push({
        path: `variants.${i}.version`,
        message: `version ${variant.version} is already variant ${first}; list each version once`,
      });
    }
  });
  if (variants.length > 0 && errors.length === 0 && sum !== BUCKETS) {
    errors.push({
      path: 'variants',
      message: `weights sum to ${sum}; they must sum to ${BUCKETS} (basis points: 10000 is 100%)`,
    });
  }
  if (errors.length > 0) {
    throw new AppError(
      'INVALID_WEIGHTS',
      `Invalid release: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`,
      { errors },
    );
  }
  return { variants: variants.map((v) => ({ version: v.version, weight: v.weight })), enabled };
}

/**
 * Picks the variant that serves a request and returns its index. With a `unit` the pick is
 * deterministic (`bucketOf(prompt, unit)` against the cumulative weights), so a user keeps their
 * variant; without one it is `random()` (default `Math.random`) × 10 000. Zero-weight variants are
 * never picked.
 *
 * @example
 * chooseVariant('support/triage', [{ version: 4, weight: 500 }, { version: 3, weight: 9500 }], 'user-42');
 */
export function chooseVariant(
  prompt: string,
  variants: readonly Variant[],
  unit?: string,
  random: () => number = Math.random,
): number {
  // A single variant needs no hash: the hot path for plain deployments.
  if (variants.length === 1) return 0;
  const bucket =
    unit === undefined ? Math.min(BUCKETS - 1, Math.floor(random() * BUCKETS)) : bucketOf(prompt, unit);
  return pickVariant(variants, bucket);
}

/** The version a release serves when it has exactly one variant, else null. */
export function singleVersion(variants: readonly Variant[]): number | null {
  return variants.length === 1 ? (variants[0]?.version ?? null) : null;
}
