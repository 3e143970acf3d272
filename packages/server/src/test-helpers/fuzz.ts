/**
 * Hostile requests generated from the OpenAPI document (issue 8's reliability suite), shared by
 * `http/fuzz.test.ts` (a few hundred cases) and `bench/fuzz.bench.ts` (thousands). Seeded: the same
 * seed gives the same cases.
 */
import type { FastifyInstance } from 'fastify';

export interface FuzzCase {
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface FuzzResult {
  fuzzCase: FuzzCase;
  status: number;
  contentType: string;
  code: unknown;
}

/** mulberry32: a small seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Operation {
  method: string;
  path: string;
  params: { in: string; name: string }[];
  bodyFields: string[];
  streams: boolean;
}

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>> };

/** Every operation of the app's OpenAPI document. */
export function operationsOf(app: FastifyInstance): Operation[] {
  const doc = app.swagger() as unknown as Doc;
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = ((op.parameters as { in: string; name: string }[] | undefined) ?? []).map((x) => ({
        in: x.in,
        name: x.name,
      }));
      const content = (op.requestBody as { content?: Record<string, { schema?: { properties?: object } }> })
        ?.content;
      const bodyFields = Object.keys(content?.['application/json']?.schema?.properties ?? {});
      const streams =
        JSON.stringify(op.responses ?? {}).includes('text/event-stream') || /\/(stream|events)$/.test(path);
      operations.push({ method: method.toUpperCase(), path, params, bodyFields, streams });
    }
  }
  return operations;
}

const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Path values that cannot name anything that exists (safe for streaming routes too). */
const HOSTILE_PATH = [
  '%zz',
  '%',
  'a%00b',
  '%E0%A4%A',
  'x'.repeat(300),
  '9223372036854775808',
  '2147483648',
  '-1',
  '1e400',
  '%C0%AF',
  '..%2F..%2Fetc',
];
/** Query values. */
const HOSTILE_QUERY = [
  '%zz',
  'a%00b',
  '2147483648',
  '9223372036854775808',
  '-1',
  'x'.repeat(5000),
  '',
  '[]',
  '%FF%FE',
  'true',
  'NaN',
];
/** JSON values for a body field (as JSON text). */
const HOSTILE_VALUES = [
  '"a\\u0000b"',
  JSON.stringify('x'.repeat(100_000)),
  '2147483648',
  '9223372036854775808',
  '-1',
  '1e400',
  'null',
  'true',
  '[]',
  '{}',
  '[1,2]',
  '{"a":{"b":"\\u0000"}}',
  deep(5000),
  deepObject(3000),
  '"\\ud800"',
  '123',
  '"{{> missing}}"',
];
const BAD_BODIES = [
  '{"a":',
  '[',
  'null',
  '"text"',
  '42',
  '[1,2,3]',
  deep(10_000),
  '\u0000',
  '{"__proto__":{"x":1}}',
  '',
];
const CONTENT_TYPES = [
  'text/plain',
  'application/x-evil',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
];

const pick = <T>(random: () => number, list: readonly T[]): T =>
  list[Math.floor(random() * list.length)] as T;

/** `count` hostile requests over the operations, authorised with `apiKey`. */
export function generateFuzzCases(
  operations: Operation[],
  seed: number,
  count: number,
  apiKey: string,
): FuzzCase[] {
  const random = seededRandom(seed);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const op = operations[i % operations.length] as Operation;
    const kind = op.streams
      ? 'path'
      : pick(random, ['path', 'query', 'field', 'missing', 'extra', 'body', 'type', 'oversized'] as const);
    const pathValue = (name: string) => {
      if (kind === 'path') return pick(random, HOSTILE_PATH);
      return name === 'id' || name === 'number' ? '1' : name === 'env' ? 'production' : 'fuzz-missing';
    };
    let url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathValue(name));
    if (op.streams && !op.path.includes('{')) continue;
    if (op.streams && url.includes('production')) url = url.replace('production', '%zz');
    const query = op.params.filter((x) => x.in === 'query');
    if (kind === 'query' && query.length > 0) {
      url += `?${query.map((x) => `${x.name}=${pick(random, HOSTILE_QUERY)}`).join('&')}`;
    }
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    let payload: string | undefined;
    const hasBody = op.method !== 'GET';
    if (hasBody) {
      const fields = op.bodyFields.length > 0 ? op.bodyFields : ['name'];
      headers['content-type'] = 'application/json';
      if (kind === 'field') {
        payload = `{${fields.map((f) => `${JSON.stringify(f)}:${pick(random, HOSTILE_VALUES)}`).join(',')}}`;
      } else if (kind === 'missing') {
        payload = '{}';
      } else if (kind === 'extra') {
        payload = JSON.stringify({
          ...Object.fromEntries(fields.map((f) => [f, 'x'])),
          unexpected: 'a\u0000',
          __proto__x: 1,
        });
      } else if (kind === 'body') {
        payload = pick(random, BAD_BODIES);
      } else if (kind === 'type') {
        const type = pick(random, CONTENT_TYPES);
        if (type) headers['content-type'] = type;
        else delete headers['content-type'];
        payload = 'name=x&\u0000';
      } else if (kind === 'oversized') {
        payload = JSON.stringify({ [fields[0] ?? 'name']: 'x'.repeat(1_100_000) });
      } else {
        payload = '{}';
      }
    }
    cases.push({
      label: `${op.method} ${op.path} [${kind}]`,
      method: op.method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
  }
  return cases;
}

/** Sends one case through `app.inject()`. */
export async function sendFuzzCase(app: FastifyInstance, fuzzCase: FuzzCase): Promise<FuzzResult> {
  const response = await app.inject({
    method: fuzzCase.method as 'GET',
    url: fuzzCase.url,
    headers: fuzzCase.headers,
    ...(fuzzCase.payload === undefined ? {} : { payload: fuzzCase.payload }),
  });
  let code: unknown;
  try {
    code = JSON.parse(response.body).code;
  } catch {
    code = undefined;
  }
  return {
    fuzzCase,
    status: response.statusCode,
    contentType: String(response.headers['content-type'] ?? ''),
    code,
  };
}

/** A result breaks the contract: a 5xx, or a 4xx that is not problem+json with a string code. */
export function fuzzViolation(result: FuzzResult): string | undefined {
  const { status, contentType, code, fuzzCase } = result;
  if (status >= 500) return `${fuzzCase.label} ${fuzzCase.url.slice(0, 120)} → ${status} ${String(code)}`;
  if (status >= 400 && (!contentType.startsWith('application/problem+json') || typeof code !== 'string')) {
    return `${fuzzCase.label} ${fuzzCase.url.slice(0, 120)} → ${status} ${contentType} code=${String(code)}`;
  }
  return undefined;
}
