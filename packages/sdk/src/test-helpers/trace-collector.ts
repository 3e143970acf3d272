/**
 * A real HTTP server taking `POST /api/v1/traces` and `POST /api/v1/scores` as the contract in
 * core defines them: bodies are validated with core's own zod schemas (`TraceBatch`,
 * `CreateScoreRequest`) and a bad span fails its whole batch with a 422 naming its index, as the
 * Promptline server does. Tests script failures (503, 429 with Retry-After, latency) and read back
 * what was accepted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateScoreRequest, type SpanInput, TraceBatch } from '@promptline/core';

export interface CollectorOptions {
  apiKey?: string;
  /** Port to listen on (default 0); pass an old port to "restart" a collector. */
  port?: number;
  /** When set, a 422 problem does not name the spans at fault (as a proxy's or older server's might not). */
  anonymousProblems?: boolean;
}

/** What the next requests are answered with, consumed one per request; empty means "accept". */
export type ScriptedAnswer = { status: number; retryAfter?: string } | { delayMs: number };

export interface Collector {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  /** Accepted spans, in arrival order. */
  readonly spans: SpanInput[];
  /** Accepted scores. */
  readonly scores: unknown[];
  /** Every request: path, status, number of spans it carried, time of arrival. */
  readonly requests: { path: string; status: number; spans: number; at: number }[];
  /** Queues scripted answers for the next requests. */
  script(...answers: ScriptedAnswer[]): void;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const apiKey = options.apiKey ?? 'pl_test_collector_key_0123456789';
  const spans: SpanInput[] = [];
  const scores: unknown[] = [];
  const requests: Collector['requests'] = [];
  const answers: ScriptedAnswer[] = [];

  const server = createServer(async (req, res) => {
    const path = req.url ?? '';
    const text = await readBody(req);
    const log = (status: number, count = 0) => requests.push({ path, status, spans: count, at: Date.now() });
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      log(401);
      return send(res, 401, { code: 'UNAUTHORIZED', detail: 'bad key' });
    }
    const answer = answers.shift();
    if (answer !== undefined && 'delayMs' in answer) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (answer !== undefined && 'status' in answer) {
      log(answer.status);
      return send(
        res,
        answer.status,
        { code: answer.status === 429 ? 'RATE_LIMITED' : 'INTERNAL', detail: 'scripted' },
        answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      log(400);
      return send(res, 400, { code: 'MALFORMED_JSON', detail: 'not JSON' });
    }
    if (req.method === 'POST' && path === '/api/v1/traces') {
      const parsed = TraceBatch.safeParse(body);
      const count = Array.isArray((body as { spans?: unknown }).spans)
        ? (body as { spans: unknown[] }).spans.length
        : 0;
      if (!parsed.success) {
        log(422, count);
        return send(res, 422, {
          code: 'VALIDATION_FAILED',
          detail: 'invalid batch',
          ...(options.anonymousProblems === true
            ? {}
            : { errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) }),
        });
      }
      spans.push(...parsed.data.spans);
      log(202, count);
      return send(res, 202, { accepted: parsed.data.spans.length });
    }
    if (req.method === 'POST' && path === '/api/v1/scores') {
      const parsed = CreateScoreRequest.safeParse(body);
      if (!parsed.success) {
        log(422);
        return send(res, 422, { code: 'VALIDATION_FAILED', detail: 'invalid score' });
      }
      scores.push(parsed.data);
      log(201);
      return send(res, 201, { id: scores.length, ...parsed.data });
    }
    log(404);
    return send(res, 404, { code: 'ROUTE_NOT_FOUND', detail: path });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey,
    spans,
    scores,
    requests,
    script: (...more) => answers.push(...more),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
