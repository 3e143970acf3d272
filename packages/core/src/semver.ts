/**
 * Semantic versions of prompts, inferred from what changed. The contract a prompt offers its
 * callers is its set of variables (and its shape, text or chat): changing that breaks callers, so
 * it is a major bump; changing the words or the model config is minor; reflowing whitespace is a
 * patch.
 */
import { canonicalJson } from './canonical.ts';
import { AppError } from './errors.ts';
import type { ChatMessage, ModelConfig, SemverBump, VersionContent } from './schemas.ts';
import { extractVariables } from './template/index.ts';

/** The semver of a prompt's first version. */
export const FIRST_SEMVER = '1.0.0';

const SEMVER_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

const BUMP_RANK: Record<SemverBump, number> = { patch: 0, minor: 1, major: 2 };

/**
 * Parses `major.minor.patch` (no pre-release or build suffix, no leading zeros).
 *
 * @throws AppError `VALIDATION_FAILED` when `s` is not of that form.
 */
export function parseSemver(s: string): { major: number; minor: number; patch: number } {
  const match = SEMVER_PATTERN.exec(s);
  const [major, minor, patch] = match ? match.slice(1).map(Number) : [];
  if (
    major === undefined ||
    minor === undefined ||
    patch === undefined ||
    !Number.isSafeInteger(major) ||
    !Number.isSafeInteger(minor) ||
    !Number.isSafeInteger(patch)
  ) {
    throw new AppError(
      'VALIDATION_FAILED',
      `"${s}" is not a semantic version; use major.minor.patch, e.g. 1.4.0.`,
      {
        errors: [{ path: 'semver', message: 'expected major.minor.patch, e.g. 1.4.0' }],
      },
    );
  }
  return { major, minor, patch };
}

interface Side {
  content: VersionContent;
  config: ModelConfig | undefined;
}

/**
 * The smallest bump the change from `prev` to `next` requires, or null when nothing changed:
 * - `major` when the variable contract changes: a variable added or removed (chat placeholders
 *   count as variables), or text ↔ chat; or when the config's `input` schema or `output` contract
 *   is added, changed or removed;
 * - `minor` when the template/messages text or the config changes otherwise;
 * - `patch` when the only difference is whitespace (runs of whitespace collapsed and ends trimmed
 *   in the template and in each message) and the config is equal.
 *
 * A missing config equals a config with no keys.
 */
export function requiredBump(prev: Side, next: Side): SemverBump | null {
  if (prev.content.type !== next.content.type) return 'major';
  if (!sameSet(contractOf(prev.content), contractOf(next.content))) return 'major';
  // Typed inputs and the output contract are what callers code against, like the variables.
  for (const key of ['input', 'output'] as const) {
    if (canonicalJson(prev.config?.[key] ?? null) !== canonicalJson(next.config?.[key] ?? null))
      return 'major';
  }

  const configEqual = canonicalJson(prev.config ?? {}) === canonicalJson(next.config ?? {});
  if (!configEqual) return 'minor';

  if (
    canonicalJson(textsOf(prev.content, normalizeSpace)) !==
    canonicalJson(textsOf(next.content, normalizeSpace))
  ) {
    return 'minor';
  }
  if (canonicalJson(textsOf(prev.content, keep)) !== canonicalJson(textsOf(next.content, keep)))
    return 'patch';
  return null;
}

/**
 * Applies a bump to `prevSemver`: the `requested` bump when given (it may be higher than the
 * required one), else the `required` one.
 *
 * @throws AppError `SEMVER_BUMP_TOO_LOW` when `requested` is lower than `required`.
 * @throws AppError `VALIDATION_FAILED` when `prevSemver` is not a semantic version.
 * @example
 * nextSemver('1.4.2', 'minor'); // '1.5.0'
 * nextSemver('1.4.2', 'patch', 'major'); // '2.0.0'
 */
export function nextSemver(prevSemver: string, required: SemverBump, requested?: SemverBump): string {
  const { major, minor, patch } = parseSemver(prevSemver);
  if (requested !== undefined && BUMP_RANK[requested] < BUMP_RANK[required]) {
    throw new AppError(
      'SEMVER_BUMP_TOO_LOW',
      `A ${requested} bump was requested but this change needs at least ${required}: ${WHY[required]}. ` +
        `Ask for "${required}" (or higher), or leave "bump" out to have it inferred.`,
      { details: { required, requested } },
    );
  }
  const bump = requested ?? required;
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

const WHY: Record<SemverBump, string> = {
  major:
    'the variable contract changed (a variable or placeholder was added or removed, text and chat swapped, or the input schema or output contract changed)',
  minor: 'the template text or the model config changed',
  patch: 'whitespace changed',
};

/** Variables and placeholders, kept apart: turning a placeholder into a same-named variable changes its type. */
function contractOf(content: VersionContent): string[] {
  const names = extractVariables(content).map((name) => `v:${name}`);
  if (content.type === 'chat') {
    for (const message of content.messages) {
      if (isPlaceholder(message)) names.push(`p:${message.name}`);
    }
  }
  return names;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  if (left.size !== right.size) return false;
  for (const item of left) if (!right.has(item)) return false;
  return true;
}

function isPlaceholder(message: ChatMessage): message is Extract<ChatMessage, { type: 'placeholder' }> {
  return 'type' in message && message.type === 'placeholder';
}

function textsOf(content: VersionContent, normalize: (s: string) => string): unknown {
  if (content.type === 'text') return normalize(content.template);
  return content.messages.map((message) =>
    isPlaceholder(message)
      ? { placeholder: message.name }
      : { ...message, content: normalize(message.content) },
  );
}

function normalizeSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function keep(s: string): string {
  return s;
}
