/**
 * Prompt names contain "/" and the contract is to URL-encode it in paths; for convenience an
 * unencoded name is re-encoded before routing when the path ends in a known route suffix.
 */

const PROMPT_SUFFIX =
  /^\/api\/v1\/prompts\/([^?]+?)(\/(?:versions(?:\/\d+)?|diff|deployments(?:\/[^/?]+(?:\/rollback|\/history|\/requests|\/schedule)?)?|resolve|render|thresholds|lineage|metrics(?:\/compare)?|rollouts|online-evals|replays|experiments|promote|redteam-runs(?:\/import)?|branches(?:\/[^/?]+(?:\/compare)?)?|graph|merges(?:\/preview)?))?\/?(\?.*)?$/;

const LANGFUSE_PROMPTS = '/api/public/v2/prompts/';
const PROMPTS = '/api/v1/prompts/';
/** Route suffixes of one segment: `<name>/<suffix>` with a name free of "/" needs no re-encoding. */
const ONE_SEGMENT_SUFFIXES = new Set(
  'versions diff deployments resolve render thresholds lineage metrics rollouts replays experiments promote branches graph merges'.split(
    ' ',
  ),
);

/**
 * Whether a prompts URL surely names its prompt without a bare "/" (`x`, `x/resolve`): what most
 * requests (every SDK and encoded call) look like, answered without the suffix regex below.
 */
function plainPromptPath(url: string): boolean {
  const query = url.indexOf('?', PROMPTS.length);
  const path = query === -1 ? url.slice(PROMPTS.length) : url.slice(PROMPTS.length, query);
  const slash = path.indexOf('/');
  if (slash === -1) return true;
  return path.indexOf('/', slash + 1) === -1 && ONE_SEGMENT_SUFFIXES.has(path.slice(slash + 1));
}

/** The Langfuse prompt routes' name, re-encoded when sent with bare "/" (`a/b/versions/2` keeps its suffix). */
function encodeLangfusePromptPath(url: string): string {
  const [path = '', query] = url.split(/\?(.*)/s, 2);
  const rest = path.slice(LANGFUSE_PROMPTS.length);
  const versioned = /^(.+)\/versions\/(\d+)\/?$/.exec(rest);
  const name = versioned?.[1] ?? rest.replace(/\/$/, '');
  if (!name.includes('/')) return url;
  const suffix = versioned ? `/versions/${versioned[2]}` : '';
  return `${LANGFUSE_PROMPTS}${name.replaceAll('/', '%2F')}${suffix}${query === undefined ? '' : `?${query}`}`;
}

/**
 * Prompt names contain "/" and the contract is to URL-encode it; for convenience an unencoded name
 * is re-encoded here when the path ends in a known route suffix (`/versions`, `/resolve`, …).
 */
export function encodePromptPath(url: string): string {
  if (url.startsWith(LANGFUSE_PROMPTS)) return encodeLangfusePromptPath(url);
  if (!url.startsWith(PROMPTS)) return url;
  if (plainPromptPath(url)) return url;
  const match = PROMPT_SUFFIX.exec(url);
  const name = match?.[1];
  if (!match || !name?.includes('/')) return url;
  return `/api/v1/prompts/${name.replaceAll('/', '%2F')}${match[2] ?? ''}${match[3] ?? ''}`;
}
