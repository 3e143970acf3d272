import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';

describeServer((ctx) => {
  it('malformed JSON is 400 MALFORMED_JSON problem+json with the request id', async () => {
    const response = await ctx().api.post('/api/v1/prompts', '{"name": ');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      code: 'MALFORMED_JSON',
      status: 400,
      title: 'Malformed json',
      instance: '/api/v1/prompts',
    });
    expect(response.body.requestId).toBe(response.headers['x-request-id']);
    expect(response.body.type).toMatch(/^https:\/\//);
  });

  it('a body over 1 MiB is 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ type: 'text', template: 'x'.repeat(1_100_000) });
    const response = await ctx().api.post('/api/v1/prompts/big/versions', big);
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('an unknown route is 404 ROUTE_NOT_FOUND', async () => {
    const response = await ctx().api.get('/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('validation failures are 422 listing each field path and message', async () => {
    const response = await ctx().api.post('/api/v1/prompts', {
      name: 'ok',
      tags: [''],
      version: { type: 'text' },
    });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    const paths = response.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['tags.0', 'version.template']));
    for (const error of response.body.errors) expect(error.message).toEqual(expect.any(String));
    const query = await ctx().api.get('/api/v1/audit?limit=0');
    expect(query.body.errors[0].path).toBe('querystring.limit');
  });

  it('echoes a caller-supplied x-request-id, or makes one', async () => {
    const own = await ctx().api.get('/healthz', { 'x-request-id': 'trace-123' });
    expect(own.headers['x-request-id']).toBe('trace-123');
    const made = await ctx().api.get('/healthz');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves an OpenAPI 3.1 document with every route, its operationId and tags', async () => {
    const response = await ctx().api.get('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    const doc = JSON.parse(response.text);
    expect(doc.openapi).toBe('3.1.0');
    const expected = [
      ['post', '/api/v1/prompts'],
      ['get', '/api/v1/prompts'],
      ['get', '/api/v1/prompts/{name}'],
      ['patch', '/api/v1/prompts/{name}'],
      ['post', '/api/v1/prompts/{name}/versions'],
      ['get', '/api/v1/prompts/{name}/versions'],
      ['get', '/api/v1/prompts/{name}/versions/{number}'],
      ['get', '/api/v1/prompts/{name}/diff'],
      ['get', '/api/v1/prompts/{name}/deployments'],
      ['get', '/api/v1/prompts/{name}/deployments/{env}'],
      ['put', '/api/v1/prompts/{name}/deployments/{env}'],
      ['post', '/api/v1/prompts/{name}/deployments/{env}/rollback'],
      ['get', '/api/v1/prompts/{name}/deployments/{env}/history'],
      ['get', '/api/v1/prompts/{name}/resolve'],
      ['post', '/api/v1/prompts/{name}/render'],
      ['get', '/api/v1/environments/{env}/snapshot'],
      ['get', '/api/v1/environments'],
      ['post', '/api/v1/environments'],
      ['get', '/api/v1/environments/{env}'],
      ['patch', '/api/v1/environments/{env}'],
      ['post', '/api/v1/api-keys'],
      ['get', '/api/v1/api-keys'],
      ['delete', '/api/v1/api-keys/{id}'],
      ['post', '/api/v1/providers/{provider}/test'],
      ['get', '/api/v1/audit'],
      ['get', '/api/v1/audit/verify'],
      ['get', '/healthz'],
    ];
    const ids = new Set<string>();
    for (const [method, path] of expected) {
      const operation = doc.paths[path as string]?.[method as string];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation.operationId).toEqual(expect.any(String));
      expect(operation.tags.length).toBeGreaterThan(0);
      ids.add(operation.operationId);
    }
    expect(ids.size).toBe(expected.length);
    expect(doc.paths['/api/v1/prompts/{name}/versions'].post.requestBody).toBeDefined();
    expect(Object.keys(doc.paths).some((path) => path.startsWith('/docs'))).toBe(false);
  });

  it('serves the docs page as HTML from local assets', async () => {
    const { server } = ctx();
    const page = await server.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    const asset = await server.app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
    expect(asset.statusCode).toBe(200);
  });
});
