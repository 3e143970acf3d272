import type { FastifyInstance } from 'fastify';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
  body: any;
  text: string;
}

/** `app.inject()` with the key and JSON handled: `api.post('/api/v1/prompts', {...})`. */
export function createTestClient(app: FastifyInstance, apiKey: string | undefined) {
  async function request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TestResponse> {
    const response = await app.inject({
      method,
      url,
      headers: {
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    let parsed: unknown;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, text: response.body };
  }
  return {
    get: (url: string, headers?: Record<string, string>) => request('GET', url, undefined, headers),
    post: (url: string, body?: unknown, headers?: Record<string, string>) =>
      request('POST', url, body, headers),
    put: (url: string, body?: unknown) => request('PUT', url, body),
    patch: (url: string, body?: unknown) => request('PATCH', url, body),
    delete: (url: string) => request('DELETE', url),
  };
}

export type TestClient = ReturnType<typeof createTestClient>;

/** Path segment of a prompt name (`support/triage` → `support%2Ftriage`). */
export const p = (name: string) => `/api/v1/prompts/${encodeURIComponent(name)}`;
