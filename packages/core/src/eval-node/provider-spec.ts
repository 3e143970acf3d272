/**
 * Provider specs as configs write them — promptfoo's ids (`openai:chat:gpt-4.1-mini`,
 * `anthropic:messages:claude-…`, `http`, `echo`) and objects with `id`, `label` and `config` —
 * turned into the runner's {@link EvalProvider}. Anything unsupported is refused by name.
 */
import { isAbsolute, resolve } from 'node:path';
import { AppError } from '../errors.ts';
import type { EvalProvider, EvalTarget } from '../eval/suite.ts';
import type { ModelParameters, ProviderSettings } from '../providers/types.ts';

/** Where specs read credentials and relative files from. */
export interface ProviderSpecOptions {
  /** Environment variables (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY…), passed in by the caller. */
  env: Record<string, string | undefined>;
  /** Directory relative `file://x.py` and `python:x.py` providers resolve against (the config's). */
  baseDir?: string;
}

const SUPPORTED_IDS =
  'openai:chat:<model>, openai:<model>, openai:embedding:<model>, anthropic:messages:<model>, google:<model>, openai-compatible:<model>, mock:<model>, http (or an http(s):// URL), echo, file://provider.py[:function] (or python:provider.py)';

/** promptfoo parameter names → Promptline's. */
const PARAMETER_KEYS: Record<string, string> = {
  temperature: 'temperature',
  max_tokens: 'maxTokens',
  maxTokens: 'maxTokens',
  top_p: 'topP',
  topP: 'topP',
  stop: 'stop',
  seed: 'seed',
  presence_penalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
  tool_choice: 'tool_choice',
  max_completion_tokens: 'max_completion_tokens',
  reasoning_effort: 'reasoning_effort',
};
const CONNECTION_KEYS = new Set([
  'apiKey',
  'apiKeyEnvar',
  'apiBaseUrl',
  'apiHost',
  'organization',
  'headers',
  'response_format',
  'tools',
  'rateLimit',
  'maxRetries',
]);
const HTTP_KEYS = new Set(['url', 'method', 'headers', 'body', 'transformResponse', 'rateLimit']);

function fail(where: string, message: string): never {
  throw new AppError('CONFIG_INVALID', `${where}: ${message}`);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(where, 'expected a mapping');
  return value as Record<string, unknown>;
}

function stringRecord(value: unknown, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObject(value, where))) out[k] = String(v);
  return out;
}

function rateLimitOf(value: unknown, where: string): { requestsPerSecond: number } | undefined {
  if (value === undefined) return undefined;
  const o = asObject(value, where);
  const rps = typeof o.requestsPerSecond === 'number' ? o.requestsPerSecond : undefined;
  const rpm = typeof o.requestsPerMinute === 'number' ? o.requestsPerMinute : undefined;
  if (rps !== undefined && rps > 0) return { requestsPerSecond: rps };
  if (rpm !== undefined && rpm > 0) return { requestsPerSecond: rpm / 60 };
  fail(where, 'rateLimit needs requestsPerSecond or requestsPerMinute (a positive number)');
}

interface ParsedId {
  kind: ProviderSettings['kind'] | 'http' | 'echo' | 'embedding' | 'python';
  model: string;
}

/** `file://provider.py[:fn]` or `python:provider.py[:fn]`: the file and the function (default `call_api`). */
function pythonProvider(id: string): { path: string; functionName?: string } | undefined {
  const m = /^(?:file:\/\/|python:)(.+\.py)(?::([A-Za-z_][\w.]*))?$/.exec(id.trim());
  if (!m?.[1]) return undefined;
  return m[2] ? { path: m[1], functionName: m[2] } : { path: m[1] };
}

function parseId(id: string, where: string): ParsedId {
  if (id === 'echo') return { kind: 'echo', model: 'echo' };
  if (pythonProvider(id)) return { kind: 'python', model: id };
  if (id.startsWith('file://') || id.startsWith('python:')) {
    fail(
      where,
      `provider "${id}" is not supported: custom providers are Python files (file://provider.py[:function]).`,
    );
  }
  if (id === 'http' || id === 'https' || /^https?:\/\//.test(id)) return { kind: 'http', model: id };
  const [prefix, ...rest] = id.split(':');
  const tail = rest.join(':');
  switch (prefix) {
    case 'openai': {
      if (rest[0] === 'chat' && rest.length > 1) return { kind: 'openai', model: rest.slice(1).join(':') };
      if ((rest[0] === 'embedding' || rest[0] === 'embeddings') && rest.length > 1) {
        return { kind: 'embedding', model: rest.slice(1).join(':') };
      }
      if (
        ['completion', 'responses', 'assistant', 'realtime', 'image', 'moderation'].includes(rest[0] ?? '')
      ) {
        fail(where, `provider "${id}" is not supported: use openai:chat:<model> (Chat Completions).`);
      }
      if (tail) return { kind: 'openai', model: tail };
      break;
    }
    case 'anthropic':
      if (rest[0] === 'messages' && rest.length > 1)
        return { kind: 'anthropic', model: rest.slice(1).join(':') };
      if (rest[0] === 'completion')
        fail(where, `provider "${id}" is not supported: use anthropic:messages:<model>.`);
      if (tail) return { kind: 'anthropic', model: tail };
      break;
    case 'google':
    case 'gemini':
      if (tail) return { kind: 'gemini', model: tail };
      break;
    case 'openai-compatible':
      if (tail) return { kind: 'openai-compatible', model: tail };
      break;
    case 'mock':
      return { kind: 'mock', model: tail || 'mock' };
    default:
      break;
  }
  return fail(where, `provider "${id}" is not supported. Supported: ${SUPPORTED_IDS}.`);
}

function parameters(config: Record<string, unknown>, where: string, allowed: Set<string>): ModelParameters {
  const out: ModelParameters = {};
  for (const [key, value] of Object.entries(config)) {
    const mapped = PARAMETER_KEYS[key];
    if (mapped) out[mapped] = value;
    else if (!allowed.has(key)) {
      fail(
        where,
        `config key "${key}" is not supported. Supported: ${[...Object.keys(PARAMETER_KEYS), ...allowed].join(', ')}.`,
      );
    }
  }
  return out;
}

function settingsFor(
  kind: ProviderSettings['kind'],
  config: Record<string, unknown>,
  options: ProviderSpecOptions,
  where: string,
): ProviderSettings {
  const env = options.env;
  const settings: ProviderSettings = { kind };
  const keyVar = typeof config.apiKeyEnvar === 'string' ? config.apiKeyEnvar : undefined;
  let apiKey = typeof config.apiKey === 'string' ? config.apiKey : keyVar ? env[keyVar] : undefined;
  let baseUrl = typeof config.apiBaseUrl === 'string' ? config.apiBaseUrl : undefined;
  if (!baseUrl && typeof config.apiHost === 'string') baseUrl = `https://${config.apiHost}/v1`;
  if (kind === 'openai' || kind === 'openai-compatible') {
    apiKey ??= env.OPENAI_API_KEY;
    baseUrl ??= env.OPENAI_BASE_URL || env.OPENAI_API_BASE_URL || undefined;
  } else if (kind === 'anthropic') {
    apiKey ??= env.ANTHROPIC_API_KEY;
    baseUrl ??= env.ANTHROPIC_BASE_URL || undefined;
  } else if (kind === 'gemini') {
    apiKey ??= env.GEMINI_API_KEY ?? env.GOOGLE_API_KEY;
  }
  if (kind === 'openai-compatible' && !baseUrl) {
    fail(where, 'an openai-compatible provider needs config.apiBaseUrl (e.g. http://127.0.0.1:11434/v1).');
  }
  if (apiKey) settings.apiKey = apiKey;
  if (baseUrl) settings.baseUrl = baseUrl;
  const headers = stringRecord(config.headers, `${where}.headers`);
  if (typeof config.organization === 'string') headers['OpenAI-Organization'] = config.organization;
  if (Object.keys(headers).length > 0) settings.headers = headers;
  if (typeof config.maxRetries === 'number') settings.maxRetries = config.maxRetries;
  return settings;
}

/**
 * Resolves one provider spec: a string id, `{id, label?, config?}`, or promptfoo's one-key map
 * form `{ "openai:chat:gpt-4.1": { config } }`.
 *
 * @throws AppError CONFIG_INVALID naming the unsupported id or config key.
 * @example resolveProviderSpec('openai:chat:gpt-4.1-mini', { env: process.env })
 */
export function resolveProviderSpec(
  spec: unknown,
  options: ProviderSpecOptions,
  where = 'providers',
): EvalProvider {
  let id: string;
  let label: string | undefined;
  let config: Record<string, unknown> = {};
  if (typeof spec === 'string') id = spec;
  else if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
    const o = spec as Record<string, unknown>;
    if (typeof o.id === 'string') {
      id = o.id;
      label = typeof o.label === 'string' ? o.label : undefined;
      config = asObject(o.config, `${where}.config`);
      for (const key of Object.keys(o)) {
        if (!['id', 'label', 'config'].includes(key)) {
          fail(where, `provider key "${key}" is not supported (use id, label and config).`);
        }
      }
    } else {
      const keys = Object.keys(o);
      const only = keys[0];
      if (keys.length !== 1 || only === undefined) fail(where, 'a provider object needs an `id`.');
      id = only;
      const inner = asObject(o[only], where);
      label = typeof inner.label === 'string' ? inner.label : undefined;
      config = asObject(inner.config, `${where}.config`);
    }
  } else {
    return fail(where, 'a provider is a string id or an object with `id`.');
  }
  const parsed = parseId(id, where);
  const provider = { id: label ?? id, label: label ?? id } as const;
  let target: EvalTarget;
  let params: ModelParameters = {};
  const extra: Partial<EvalProvider> = {};
  if (parsed.kind === 'python') {
    const python = pythonProvider(id) ?? fail(where, `provider "${id}" is not a Python file.`);
    const path = isAbsolute(python.path) ? python.path : resolve(options.baseDir ?? '.', python.path);
    // The whole config goes to call_api as options.config, as promptfoo does.
    target = {
      kind: 'python',
      path,
      ...(python.functionName ? { functionName: python.functionName } : {}),
      config,
    };
  } else if (parsed.kind === 'echo') {
    target = { kind: 'echo' };
    params = parameters(config, where, new Set(['rateLimit']));
  } else if (parsed.kind === 'http') {
    for (const key of Object.keys(config)) {
      if (!HTTP_KEYS.has(key)) {
        fail(
          where,
          `http provider config key "${key}" is not supported. Supported: ${[...HTTP_KEYS].join(', ')}.`,
        );
      }
    }
    const url = typeof config.url === 'string' ? config.url : /^https?:\/\//.test(id) ? id : undefined;
    if (!url) fail(where, 'an http provider needs config.url.');
    if (config.transformResponse !== undefined && typeof config.transformResponse !== 'string') {
      fail(
        where,
        'transformResponse must be a JavaScript expression over `json` and `text` (files are not supported).',
      );
    }
    if (typeof config.transformResponse === 'string' && config.transformResponse.startsWith('file://')) {
      fail(
        where,
        'transformResponse from a file is not supported: write it inline as an expression over `json`.',
      );
    }
    target = {
      kind: 'http',
      url,
      method: typeof config.method === 'string' ? config.method.toUpperCase() : 'POST',
      headers: stringRecord(config.headers, `${where}.headers`),
      body: config.body ?? null,
      transformResponse: typeof config.transformResponse === 'string' ? config.transformResponse : null,
    };
  } else {
    const kind: ProviderSettings['kind'] = parsed.kind === 'embedding' ? 'openai' : parsed.kind;
    params = parameters(config, where, CONNECTION_KEYS);
    target = { kind: 'provider', settings: settingsFor(kind, config, options, where), model: parsed.model };
    if (config.response_format !== undefined) extra.responseFormat = config.response_format;
    if (config.tools !== undefined) {
      if (!Array.isArray(config.tools)) fail(where, 'config.tools must be a list of OpenAI function tools.');
      extra.tools = config.tools;
    }
  }
  const rateLimit = rateLimitOf(config.rateLimit, `${where}.rateLimit`);
  return { ...provider, target, parameters: params, ...extra, ...(rateLimit ? { rateLimit } : {}) };
}
