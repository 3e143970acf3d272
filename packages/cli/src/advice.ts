/**
 * The CLI's own words for what to do about a problem. The server's `detail` says what happened and
 * ends with advice for REST clients (routes, JSON fields), which it also sends as the problem's
 * `hint`. For the codes below the CLI replaces exactly that hint with advice naming its commands
 * and flags; the code and the rest of the message stay the server's.
 */
import { problemDocument } from './api-client.ts';
import type { ApiError } from './errors.ts';

type Problem = Record<string, unknown>;
type Advice = (problem: Problem) => string;

const text = (value: unknown, fallback: string) =>
  typeof value === 'string' && value !== '' ? value : fallback;
/** Quotes an argument for a shell command line when it needs it. */
const arg = (value: string) => (/^[\w./:@-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`);
const nameOf = (p: Problem) => arg(text(p.prompt, '<name>'));
const envOf = (p: Problem) => arg(text(p.environment, '<env>'));
const force: Advice = () => 'Add `--force` to make the change anyway (recorded in the history).';

const ADVICE: Partial<Record<string, Advice>> = {
  PROMPT_NOT_FOUND: () => 'List prompts with `promptline prompts list`.',
  VERSION_NOT_FOUND: (p) => `List its versions with \`promptline versions list ${nameOf(p)}\`.`,
  ENVIRONMENT_NOT_FOUND: () => 'List environments with `promptline envs list`.',
  ANNOTATION_QUEUE_NOT_FOUND: () => 'List queues with `promptline queues list`.',
  SCORE_DEFINITION_NOT_FOUND: () =>
    'Define the score first (web app: Annotate → Score definitions), then run `promptline queues create` again.',
  ENVIRONMENT_ARCHIVED: (p) =>
    `Unarchive it with \`promptline envs unarchive ${envOf(p)}\`, or deploy to another environment.`,
  DEPLOYMENT_NOT_FOUND: (p) =>
    p.disabled === true
      ? `Re-enable it with \`promptline deploy ${nameOf(p)} --env ${envOf(p)} --enable\`, or \`promptline rollback ${nameOf(p)} --env ${envOf(p)}\`.`
      : `Deploy a version with \`promptline deploy ${nameOf(p)} <version> --env ${envOf(p)}\`.`,
  HISTORY_ENTRY_NOT_FOUND: (p) => `List entries with \`promptline history ${nameOf(p)} --env ${envOf(p)}\`.`,
  NOTHING_TO_ROLL_BACK: (p) =>
    `Deploy a version with \`promptline deploy\`, or pick an entry with \`--to <id>\` (ids from \`promptline history ${nameOf(p)} --env ${envOf(p)}\`).`,
  TEMPLATE_VARIABLE_MISSING: (p) =>
    `Pass ${Array.isArray(p.missing) && p.missing.length > 1 ? 'them' : 'it'} with \`--var name=value\` (or \`--vars-file\`), or add \`--no-strict\` to render ${Array.isArray(p.missing) && p.missing.length > 1 ? 'them' : 'it'} empty.`,
  TEMPLATE_PARTIAL_NOT_FOUND: () => 'To render without it, add `--no-strict` (it renders as empty).',
  DEPLOY_PARTIAL_MISSING: force,
  DEPLOY_PARTIAL_CYCLE: force,
  DEPLOY_PARTIAL_TOO_DEEP: force,
  UNAUTHORIZED: () =>
    'Pass a valid key with --api-key or PROMPTLINE_API_KEY; an admin creates one with `promptline keys create <name>`.',
  API_KEY_NOT_FOUND: () => 'List keys with `promptline keys list`.',
  ONLINE_EVAL_NOT_FOUND: () =>
    'List a prompt’s online evaluations with `promptline online-evals list <prompt>`.',
};

/**
 * The message to print for a problem: the server's detail with its REST advice (`hint`) replaced
 * by the CLI's, when the CLI has advice for the code and the detail ends with the hint; else the
 * detail as it is.
 *
 * @example
 * // detail: 'No environment named "prod". List environments with GET /api/v1/environments.'
 * cliMessage(error); // 'No environment named "prod". List environments with `promptline envs list`.'
 */
export function cliMessage(error: ApiError): string {
  const problem = problemDocument(error);
  const advice = ADVICE[error.code];
  const hint = problem.hint;
  if (!advice || typeof hint !== 'string' || !error.message.endsWith(hint)) return error.message;
  const fact = error.message.slice(0, error.message.length - hint.length).trimEnd();
  return `${fact} ${advice(problem)}`;
}
