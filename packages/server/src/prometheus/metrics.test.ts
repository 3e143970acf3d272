/**
 * GET /metrics read the way Prometheus reads it — over a real socket from 127.0.0.1, the text
 * parsed by a Prometheus text-format parser — and its values moving when requests are made:
 * HTTP requests by route pattern, resolves and renders, spans ingested and rejected, provider
 * requests, live connections per environment, the job queue, the database pool. Both databases.
 */
import { sendJson, startWireServer, type WireServer } from '@promptline/core/test-helpers/wire-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-helpers/database.ts';
import { startTestServer, type TestServer } from '../test-helpers/server.ts';
import { newSpanId, newTraceId, testSpan } from '../traces/test-spans.ts';
import { parseScrape, type Scrape } from './test-helpers/scrape.ts';

const RESOLVE = '/api/v1/prompts/:name/resolve';
const HTTP_COUNT = 'promptline_http_requests_total';

for (const dialect of DIALECTS) {
  describe(`GET /metrics (${dialect})`, () => {
    let server: TestServer;
    let upstream: WireServer;

    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, text, body: text.startsWith('{') ? JSON.parse(text) : undefined };
    };
    /** No key: open because the request comes from 127.0.0.1. */
    const scrape = async (): Promise<Scrape> => {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseScrape(await response.text());
    };

    beforeAll(async () => {
      // 200 for any model but `fail` (500) — the provider the connection test calls.
      upstream = await startWireServer((request, response) => {
        const model = (request.body as { model?: string } | undefined)?.model;
        if (model === 'fail') return sendJson(response, 500, { error: { message: 'upstream broke' } });
        sendJson(response, 200, {
          id: 'c1',
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
        });
      });
      server = await startTestServer({ dialect });
      expect(
        (
          await call('POST', '/api/v1/prompts', {
            name: 'support/triage',
            version: { type: 'text', template: 'Hello {{name}}', config: { model: 'mock-1' } },
          })
        ).status,
      ).toBe(201);
      expect(
        (await call('PUT', '/api/v1/prompts/support%2Ftriage/deployments/production', { version: 1 })).status,
      ).toBe(200);
    });

    afterAll(async () => {
      await server?.close();
      await upstream?.close();
    });

    it('exposes the Prometheus text format with process metrics and typed families', async () => {
      const metrics = await scrape();
      expect(metrics.type('promptline_process_cpu_user_seconds_total')).toBe('COUNTER');
      expect(metrics.value('promptline_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(metrics.type('promptline_nodejs_eventloop_lag_p99_seconds')).toBe('GAUGE');
      expect(metrics.type('promptline_http_request_duration_seconds')).toBe('HISTOGRAM');
      expect(metrics.type(HTTP_COUNT)).toBe('COUNTER');
      expect(metrics.value('promptline_database_info', { dialect })).toBe(1);
    });

    it('counts requests and their latency by route pattern and status, never by raw URL', async () => {
      const labels = { method: 'GET', route: RESOLVE, status_code: '200' };
      const before = await scrape();
      const count0 = before.value(HTTP_COUNT, labels) ?? 0;
      const hist0 = before.histogram('promptline_http_request_duration_seconds', labels)?.count ?? 0;
      for (const unit of ['user-1', 'user-2', 'user-3']) {
        expect(
          (await call('GET', `/api/v1/prompts/support%2Ftriage/resolve?env=production&unit=${unit}`)).status,
        ).toBe(200);
      }
      expect((await call('GET', '/api/v1/prompts/nope/resolve?env=production')).status).toBe(404);
      expect((await call('GET', '/api/v1/no-such-route/secret-path-xyz')).status).toBe(404);

      const after = await scrape();
      expect(after.value(HTTP_COUNT, labels)).toBe(count0 + 3);
      const histogram = after.histogram('promptline_http_request_duration_seconds', labels);
      expect(histogram?.count).toBe(hist0 + 3);
      expect(histogram?.buckets['+Inf']).toBe(histogram?.count);
      expect(histogram?.sum).toBeGreaterThan(0);
      expect(after.value(HTTP_COUNT, { route: RESOLVE, status_code: '404' })).toBeGreaterThanOrEqual(1);
      expect(
        after.value(HTTP_COUNT, { method: 'GET', route: '(unmatched)', status_code: '404' }),
      ).toBeGreaterThanOrEqual(1);
      const values = after.labelValues();
      expect(
        values.some((v) => v.includes('secret-path-xyz') || v.includes('user-1') || v.includes('triage')),
      ).toBe(false);
    });

    it('counts resolves and renders by outcome', async () => {
      const before = await scrape();
      const ok0 = before.value('promptline_resolves_total', { outcome: 'ok' }) ?? 0;
      const missing0 = before.value('promptline_resolves_total', { outcome: 'PROMPT_NOT_FOUND' }) ?? 0;
      const rendered0 = before.value('promptline_renders_total', { outcome: 'ok' }) ?? 0;
      const refused0 =
        before.value('promptline_renders_total', { outcome: 'TEMPLATE_VARIABLE_MISSING' }) ?? 0;
      await call('GET', '/api/v1/prompts/support%2Ftriage/resolve?env=production');
      await call('GET', '/api/v1/prompts/ghost/resolve?env=production');
      const render = (variables: Record<string, string>) =>
        call('POST', '/api/v1/prompts/support%2Ftriage/render', { env: 'production', variables });
      expect((await render({ name: 'Ann' })).status).toBe(200);
      expect((await render({})).status).toBe(422);

      const after = await scrape();
      expect(after.value('promptline_resolves_total', { outcome: 'ok' })).toBe(ok0 + 1);
      expect(after.value('promptline_resolves_total', { outcome: 'PROMPT_NOT_FOUND' })).toBe(missing0 + 1);
      expect(after.value('promptline_renders_total', { outcome: 'ok' })).toBe(rendered0 + 1);
      expect(after.value('promptline_renders_total', { outcome: 'TEMPLATE_VARIABLE_MISSING' })).toBe(
        refused0 + 1,
      );
    });

    it('counts spans ingested and rejected by source and reason (native API and OTLP)', async () => {
      const before = await scrape();
      const read = (s: Scrape, name: string, labels: Record<string, string>) => s.value(name, labels) ?? 0;
      expect((await call('POST', '/api/v1/traces', { spans: [testSpan(), testSpan()] })).status).toBe(202);
      expect(
        (await call('POST', '/api/v1/traces', { spans: [testSpan()] }, { 'x-promptline-source': 'sdk' }))
          .status,
      ).toBe(202);
      const tooOld = testSpan({}, 40 * 86_400_000);
      expect((await call('POST', '/api/v1/traces', { spans: [tooOld, testSpan()] })).status).toBe(422);

      const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
      const otlpSpan = (spanId: string) => ({
        traceId: newTraceId(),
        spanId,
        name: 'chat',
        startTimeUnixNano: startNs.toString(),
        endTimeUnixNano: (startNs + 1_000_000n).toString(),
      });
      const otlp = await call('POST', '/otel/v1/traces', {
        resourceSpans: [{ scopeSpans: [{ spans: [otlpSpan(newSpanId()), otlpSpan('not-an-id')] }] }],
      });
      expect(otlp.status).toBe(200);

      const after = await scrape();
      const ingested = 'promptline_spans_ingested_total';
      const rejected = 'promptline_spans_rejected_total';
      expect(read(after, ingested, { source: 'api' }) - read(before, ingested, { source: 'api' })).toBe(2);
      expect(read(after, ingested, { source: 'sdk' }) - read(before, ingested, { source: 'sdk' })).toBe(1);
      expect(read(after, ingested, { source: 'otel' }) - read(before, ingested, { source: 'otel' })).toBe(1);
      const tooOldLabels = { source: 'api', reason: 'too_old' };
      expect(read(after, rejected, tooOldLabels) - read(before, rejected, tooOldLabels)).toBe(2);
      const unmappable = { source: 'otel', reason: 'unmappable' };
      expect(read(after, rejected, unmappable) - read(before, rejected, unmappable)).toBe(1);
      expect(after.value('promptline_gateway_spans', { state: 'written' })).toBe(0);
    });

    it('counts provider requests, latency and errors by provider, over real HTTP', async () => {
      expect(
        (
          await call('PUT', '/api/v1/providers/local', {
            kind: 'openai-compatible',
            baseUrl: `${upstream.url}/v1`,
          })
        ).status,
      ).toBe(200);
      const before = await scrape();
      expect((await call('POST', '/api/v1/providers/local/test', { model: 'tiny' })).status).toBe(200);
      expect((await call('POST', '/api/v1/providers/local/test', { model: 'fail' })).status).toBe(502);

      const closed = await startWireServer(() => {});
      await closed.close();
      await call('PUT', '/api/v1/providers/gone', { kind: 'openai-compatible', baseUrl: `${closed.url}/v1` });
      expect((await call('POST', '/api/v1/providers/gone/test', { model: 'm' })).status).toBe(502);

      const after = await scrape();
      const delta = (name: string, labels: Record<string, string>) =>
        (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
      expect(delta('promptline_provider_requests_total', { provider: 'local', status: '200' })).toBe(1);
      expect(delta('promptline_provider_requests_total', { provider: 'local', status: '500' })).toBe(1);
      expect(delta('promptline_provider_errors_total', { provider: 'local', kind: 'http_5xx' })).toBe(1);
      expect(delta('promptline_provider_requests_total', { provider: 'gone', status: 'network_error' })).toBe(
        1,
      );
      expect(delta('promptline_provider_errors_total', { provider: 'gone', kind: 'network_error' })).toBe(1);
      const latency = after.histogram('promptline_provider_request_duration_seconds', { provider: 'local' });
      expect(latency?.count).toBe(
        (before.histogram('promptline_provider_request_duration_seconds', { provider: 'local' })?.count ??
          0) + 2,
      );
    });

    it('reports open live-update streams per environment while they are open', async () => {
      const abort = new AbortController();
      const stream = await fetch(`${server.url}/api/v1/environments/production/stream`, {
        headers: { authorization: `Bearer ${server.apiKey}` },
        signal: abort.signal,
      });
      expect(stream.status).toBe(200);
      const reader = stream.body?.getReader();
      await reader?.read(); // the connect event: the stream is registered
      expect((await scrape()).value('promptline_live_connections', { environment: 'production' })).toBe(1);
      abort.abort();
      await reader?.cancel().catch(() => {});
      await expect
        .poll(
          async () =>
            (await scrape()).value('promptline_live_connections', { environment: 'production' }) ?? 0,
        )
        .toBe(0);
    });

    it('reads the job queue from the database when scraped: jobs by kind and status, oldest due', async () => {
      const at = new Date(Date.now() - 90_000).toISOString();
      // A kind no handler claims stays queued; a failed one is kept.
      for (const [status, key] of [
        ['queued', 'metrics-test-1'],
        ['queued', 'metrics-test-2'],
        ['failed', 'metrics-test-3'],
      ]) {
        await server.database.exec(
          `insert into jobs (kind, key, project_id, payload, status, attempts, max_attempts, run_after, cancel_requested, created_at, updated_at) values ('test.metrics', '${key}', null, '{}', '${status}', 0, 3, '${at}', 0, '${at}', '${at}')`,
        );
      }
      const metrics = await scrape();
      expect(metrics.value('promptline_jobs', { kind: 'test.metrics', status: 'queued' })).toBe(2);
      expect(metrics.value('promptline_jobs', { kind: 'test.metrics', status: 'failed' })).toBe(1);
      expect(
        metrics.value('promptline_jobs_oldest_due_seconds', { kind: 'test.metrics' }),
      ).toBeGreaterThanOrEqual(89);
      expect(
        metrics.value('promptline_metrics_collect_failures_total', { metric: 'promptline_jobs' }) ?? 0,
      ).toBe(0);
    });

    it(`reports the database pool ${dialect === 'postgres' ? 'in use' : 'as absent (SQLite has one connection)'}`, async () => {
      const metrics = await scrape();
      if (dialect === 'postgres') {
        expect(metrics.value('promptline_db_pool_connections', { state: 'max' })).toBe(20);
        expect(metrics.value('promptline_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
        // Includes queries waiting while the pool opens a connection: present, not necessarily 0.
        expect(metrics.value('promptline_db_pool_waiting')).toBeGreaterThanOrEqual(0);
      } else {
        expect(metrics.type('promptline_db_pool_connections')).toBeUndefined();
      }
    });
  });
}
