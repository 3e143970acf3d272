/**
 * The authorisation matrix (issue 8): every route the app registers under /api/v1 (read from the
 * OpenAPI document) × admin / editor / viewer keys × a revoked key × no key. The least role of each
 * route is stated once, in MINIMUM below; a route missing from it fails the test. A cell is
 * "allowed" when the answer is neither 401 nor 403 (a 4xx validation or not-found answer got
 * through auth). Requests carry minimal bodies and names that do not exist, so nothing is changed.
 */
import { expect, it } from 'vitest';
import { createTestClient, describeServer, type TestClient } from '../test-helpers/index.ts';

type Least = 'public' | 'viewer' | 'reviewer' | 'editor' | 'admin';

const MINIMUM: Record<string, Least> = {
  'GET /api/v1/jobs': 'admin',
  'GET /api/v1/jobs/{id}': 'admin',
  'GET /api/v1/providers': 'viewer',
  'PUT /api/v1/providers/{provider}': 'admin',
  'DELETE /api/v1/providers/{provider}': 'admin',
  'POST /api/v1/providers/{provider}/test': 'editor',
  'GET /api/v1/prices': 'viewer',
  'PUT /api/v1/prices': 'editor',
  'POST /api/v1/api-keys': 'admin',
  'GET /api/v1/api-keys': 'admin',
  'DELETE /api/v1/api-keys/{id}': 'admin',
  'POST /api/v1/api-keys/{id}/rotate': 'admin',
  'GET /api/v1/members': 'viewer',
  'PUT /api/v1/members': 'admin',
  'DELETE /api/v1/members/{userId}': 'admin',
  'GET /api/v1/audit': 'viewer',
  'GET /api/v1/audit/verify': 'viewer',
  'GET /api/v1/audit/head': 'viewer',
  'GET /api/v1/audit/checkpoint': 'viewer',
  'GET /api/v1/audit/public-key': 'viewer',
  // Admin keys or sessions, and the service also requires an instance admin (the test's admin key is one).
  'GET /api/v1/instance/security-events': 'admin',
  'GET /api/v1/instance/security-events/verify': 'admin',
  'POST /api/v1/prompts/{name}/deployments/{env}/requests': 'editor',
  'GET /api/v1/deployment-requests': 'viewer',
  'GET /api/v1/deployment-requests/{id}': 'viewer',
  'POST /api/v1/deployment-requests/{id}/approve': 'reviewer',
  'POST /api/v1/deployment-requests/{id}/reject': 'reviewer',
  'POST /api/v1/deployment-requests/{id}/cancel': 'viewer',
  'POST /api/v1/datasets': 'editor',
  'GET /api/v1/datasets': 'viewer',
  'GET /api/v1/datasets/{name}': 'viewer',
  'PATCH /api/v1/datasets/{name}': 'editor',
  'DELETE /api/v1/datasets/{name}': 'editor',
  'POST /api/v1/datasets/{name}/items': 'editor',
  'GET /api/v1/datasets/{name}/items': 'viewer',
  'PATCH /api/v1/datasets/{name}/items/{id}': 'editor',
  'DELETE /api/v1/datasets/{name}/items/{id}': 'editor',
  'POST /api/v1/datasets/{name}/import': 'editor',
  'POST /api/v1/datasets/{name}/import/preview': 'editor',
  'GET /api/v1/datasets/{name}/export': 'viewer',
  'POST /api/v1/datasets/{name}/items/from-traces': 'editor',
  'POST /api/v1/session': 'public',
  'GET /api/v1/session': 'viewer',
  'DELETE /api/v1/session': 'public',
  'GET /api/v1/auth/methods': 'public',
  'POST /api/v1/session/password': 'public',
  'PUT /api/v1/members/{userId}/password': 'admin',
  'PUT /api/v1/me/password': 'viewer',
  'GET /api/v1/projects': 'viewer',
  'POST /api/v1/projects': 'viewer',
  // Admin keys or sessions, and the service requires an instance admin (the test's admin key is one).
  'POST /api/v1/projects/{id}/enter': 'admin',
  'PUT /api/v1/session/project': 'viewer',
  'POST /api/v1/invitations': 'admin',
  'GET /api/v1/invitations': 'admin',
  'DELETE /api/v1/invitations/{id}': 'admin',
  'POST /api/v1/invitations/inspect': 'public',
  'POST /api/v1/invitations/accept': 'public',
  'GET /api/v1/setup': 'public',
  'POST /api/v1/setup': 'public',
  'POST /api/v1/prompts': 'editor',
  'GET /api/v1/prompts': 'viewer',
  'GET /api/v1/prompts/{name}': 'viewer',
  'PATCH /api/v1/prompts/{name}': 'editor',
  'POST /api/v1/prompts/{name}/versions': 'editor',
  'GET /api/v1/prompts/{name}/versions': 'viewer',
  'GET /api/v1/prompts/{name}/versions/{number}': 'viewer',
  'GET /api/v1/prompts/{name}/diff': 'viewer',
  'GET /api/v1/prompts/{name}/branches': 'viewer',
  'POST /api/v1/prompts/{name}/branches': 'editor',
  'GET /api/v1/prompts/{name}/branches/{branch}': 'viewer',
  'DELETE /api/v1/prompts/{name}/branches/{branch}': 'editor',
  'GET /api/v1/prompts/{name}/branches/{branch}/compare': 'viewer',
  'GET /api/v1/prompts/{name}/graph': 'viewer',
  'GET /api/v1/prompts/{name}/merges/preview': 'viewer',
  'POST /api/v1/prompts/{name}/merges': 'editor',
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/prompts/{name}/resolve': 'viewer',
  'GET /api/v1/segments': 'viewer',
  'GET /api/v1/segments/{name}': 'viewer',
  'PUT /api/v1/segments/{name}': 'editor',
  'DELETE /api/v1/segments/{name}': 'editor',
  'POST /api/v1/prompts/{name}/deployments/{env}/schedule': 'editor',
  'GET /api/v1/scheduled-releases': 'viewer',
  'POST /api/v1/scheduled-releases/{id}/cancel': 'editor',
  'POST /api/v1/prompts/{name}/render': 'editor',
  'GET /api/v1/environments/{env}/snapshot': 'viewer',
  'POST /api/v1/prompts/{name}/redteam-runs': 'editor',
  'GET /api/v1/prompts/{name}/redteam-runs': 'viewer',
  'POST /api/v1/prompts/{name}/redteam-runs/import': 'editor',
  'GET /api/v1/redteam-runs/{id}': 'viewer',
  'GET /api/v1/redteam-runs/{id}/findings': 'viewer',
  'GET /api/v1/redteam-runs/{id}/report': 'viewer',
  'POST /api/v1/redteam-runs/{id}/cancel': 'editor',
  'GET /api/v1/redteam/catalog': 'viewer',
  'POST /api/v1/eval-runs': 'editor',
  'GET /api/v1/eval-runs': 'viewer',
  'POST /api/v1/eval-runs/import': 'editor',
  'GET /api/v1/eval-runs/{id}': 'viewer',
  'GET /api/v1/eval-runs/{id}/results': 'viewer',
  'POST /api/v1/eval-runs/{id}/cancel': 'editor',
  'GET /api/v1/eval-runs/{id}/compare': 'viewer',
  'GET /api/v1/eval-runs/{id}/events': 'viewer',
  'GET /api/v1/prompts/{name}/lineage': 'viewer',
  'GET /api/v1/prompts/{name}/thresholds': 'viewer',
  'PUT /api/v1/prompts/{name}/thresholds': 'editor',
  'GET /api/v1/environments/{env}/stream': 'viewer',
  'GET /api/v1/environments': 'viewer',
  'POST /api/v1/environments': 'admin',
  'GET /api/v1/environments/{env}': 'viewer',
  'PATCH /api/v1/environments/{env}': 'admin',
  'POST /api/v1/playground/runs': 'editor',
  'GET /api/v1/prompts/{name}/deployments': 'viewer',
  'GET /api/v1/prompts/{name}/deployments/{env}': 'viewer',
  'PUT /api/v1/prompts/{name}/deployments/{env}': 'editor',
  'POST /api/v1/prompts/{name}/deployments/{env}/rollback': 'editor',
  'GET /api/v1/prompts/{name}/deployments/{env}/history': 'viewer',
  'POST /api/v1/traces': 'editor',
  'GET /api/v1/prompts/{name}/metrics': 'viewer',
  'GET /api/v1/prompts/{name}/metrics/compare': 'viewer',
  'POST /api/v1/prompts/{name}/rollouts': 'editor',
  'POST /api/v1/prompts/{name}/replays': 'editor',
  'GET /api/v1/rollouts': 'viewer',
  'GET /api/v1/rollouts/{id}': 'viewer',
  'GET /api/v1/rollouts/{id}/checks': 'viewer',
  'POST /api/v1/rollouts/{id}/pause': 'editor',
  'POST /api/v1/rollouts/{id}/resume': 'editor',
  'POST /api/v1/rollouts/{id}/advance': 'editor',
  'POST /api/v1/rollouts/{id}/abort': 'editor',
  'POST /api/v1/prompts/{name}/experiments': 'editor',
  'POST /api/v1/prompts/{name}/promote': 'editor',
  'GET /api/v1/experiments': 'viewer',
  'GET /api/v1/experiments/{id}': 'viewer',
  'GET /api/v1/experiments/{id}/results': 'viewer',
  'POST /api/v1/experiments/{id}/stop': 'editor',
  'GET /api/v1/metrics/summary': 'viewer',
  'GET /api/v1/metrics/settings': 'viewer',
  'PUT /api/v1/metrics/settings': 'admin',
  'GET /api/v1/gateway/budgets': 'admin',
  'GET /api/v1/backup': 'admin',
  'GET /api/v1/export': 'admin',
  'POST /api/v1/import': 'admin',
  'GET /api/v1/gateway/budgets/{keyId}': 'admin',
  'PUT /api/v1/gateway/budgets/{keyId}': 'admin',
  'DELETE /api/v1/gateway/budgets/{keyId}': 'admin',
  'GET /api/v1/gateway/routes': 'viewer',
  'PUT /api/v1/gateway/routes': 'admin',
  'DELETE /api/v1/gateway/routes': 'admin',
  'GET /api/v1/traces': 'viewer',
  'GET /api/v1/traces/{traceId}': 'viewer',
  'GET /api/v1/traces/tail': 'viewer',
  'GET /api/v1/traces/users': 'viewer',
  'POST /api/v1/traces/{traceId}/feedback-tokens': 'editor',
  'POST /api/v1/feedback': 'public',
  'POST /api/v1/scores': 'editor',
  'GET /api/v1/traces/settings': 'viewer',
  'PUT /api/v1/traces/settings': 'admin',
  'POST /api/v1/webhooks': 'admin',
  'GET /api/v1/webhooks': 'viewer',
  'GET /api/v1/webhooks/{id}': 'viewer',
  'PATCH /api/v1/webhooks/{id}': 'admin',
  'DELETE /api/v1/webhooks/{id}': 'admin',
  'POST /api/v1/webhooks/{id}/test': 'admin',
  'GET /api/v1/webhooks/{id}/deliveries': 'viewer',
  'GET /api/v1/webhook-deliveries/{id}': 'viewer',
  'POST /api/v1/webhook-deliveries/{id}/redeliver': 'admin',
  'GET /api/v1/privacy/redaction': 'viewer',
  'PUT /api/v1/privacy/redaction': 'admin',
  'DELETE /api/v1/end-users/{userId}/data': 'admin',
  'GET /api/v1/score-definitions': 'viewer',
  'POST /api/v1/score-definitions': 'editor',
  'PATCH /api/v1/score-definitions/{id}': 'editor',
  'DELETE /api/v1/score-definitions/{id}': 'editor',
  'GET /api/v1/annotation-queues': 'viewer',
  'POST /api/v1/annotation-queues': 'editor',
  'GET /api/v1/annotation-queues/{id}': 'viewer',
  'PATCH /api/v1/annotation-queues/{id}': 'editor',
  'DELETE /api/v1/annotation-queues/{id}': 'editor',
  'POST /api/v1/annotation-queues/{id}/items': 'editor',
  'GET /api/v1/annotation-queues/{id}/items': 'viewer',
  'GET /api/v1/annotation-queues/{id}/next': 'reviewer',
  'POST /api/v1/annotation-queues/{id}/items/{itemId}/complete': 'reviewer',
  'POST /api/v1/annotation-queues/{id}/items/{itemId}/skip': 'reviewer',
  'POST /api/v1/annotation-queues/{id}/items/{itemId}/dataset': 'editor',
  'POST /api/v1/alerts': 'editor',
  'GET /api/v1/alerts': 'viewer',
  'GET /api/v1/alerts/{id}': 'viewer',
  'PATCH /api/v1/alerts/{id}': 'editor',
  'DELETE /api/v1/alerts/{id}': 'editor',
  'POST /api/v1/prompts/{name}/online-evals': 'editor',
  'GET /api/v1/prompts/{name}/online-evals': 'viewer',
  'GET /api/v1/online-evals/{id}': 'viewer',
  'PATCH /api/v1/online-evals/{id}': 'editor',
  'DELETE /api/v1/online-evals/{id}': 'editor',
  'GET /api/v1/notifications': 'viewer',
  'POST /api/v1/notifications/{id}/read': 'viewer',
};

const RANK: Record<Least, number> = { public: -1, viewer: 0, reviewer: 1, editor: 2, admin: 3 };
type Caller = 'none' | 'revoked' | 'viewer' | 'reviewer' | 'editor' | 'admin';
const CALLERS: Caller[] = ['none', 'revoked', 'viewer', 'reviewer', 'editor', 'admin'];

/** Path parameters that name nothing that exists (ids stay inside PostgreSQL's integer range). */
function fill(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, param: string) =>
    param === 'id' || param === 'number' || param === 'userId' ? '999999' : `matrix-missing-${param}`,
  );
}

function allowed(least: Least, caller: Caller): boolean {
  if (least === 'public') return true;
  if (caller === 'none' || caller === 'revoked') return false;
  return RANK[caller] >= RANK[least];
}

describeServer((ctx) => {
  it('every /api/v1 route × role × revoked key × no key: no unauthorised success, no allowed role refused', async () => {
    const { server, api } = ctx();
    const key = async (role: string) => {
      const created = await api.post('/api/v1/api-keys', { name: `matrix-${role}`, role });
      expect(created.status).toBe(201);
      return created.body as { id: number; key: string };
    };
    const revoked = await key('editor');
    expect((await api.delete(`/api/v1/api-keys/${revoked.id}`)).status).toBe(200);
    const clients: Record<Caller, TestClient> = {
      none: createTestClient(server.app, undefined),
      revoked: createTestClient(server.app, revoked.key),
      viewer: createTestClient(server.app, (await key('viewer')).key),
      reviewer: createTestClient(server.app, (await key('reviewer')).key),
      editor: createTestClient(server.app, (await key('editor')).key),
      admin: api,
    };

    const document = server.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    // The document does not list itself.
    const routes: string[] = ['GET /api/v1/openapi.json'];
    for (const [path, item] of Object.entries(document.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of Object.keys(item)) {
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) {
          routes.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(
      routes.filter((route) => !(route in MINIMUM)),
      'routes missing from MINIMUM',
    ).toEqual([]);
    expect(
      Object.keys(MINIMUM).filter((route) => !routes.includes(route)),
      'stale rows',
    ).toEqual([]);

    const wrong: string[] = [];
    let cells = 0;
    for (const route of routes) {
      const [method = '', path = ''] = route.split(' ');
      const least = MINIMUM[route] ?? 'admin';
      for (const caller of CALLERS) {
        const client = clients[caller];
        const url = fill(path);
        const response =
          method === 'GET'
            ? await client.get(url)
            : method === 'DELETE'
              ? await client.delete(url)
              : method === 'POST'
                ? await client.post(url, {})
                : method === 'PUT'
                  ? await client.put(url, {})
                  : await client.patch(url, {});
        cells++;
        const through = response.status !== 401 && response.status !== 403;
        if (through !== allowed(least, caller) || response.status >= 500) {
          wrong.push(`${route} as ${caller}: ${response.status} ${response.body?.code ?? ''}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(cells).toBe(routes.length * CALLERS.length);
  }, 180_000);
});
