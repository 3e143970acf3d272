/**
 * A scripted OpenAI-compatible Chat Completions server on 127.0.0.1 for the wrapper tests: real
 * HTTP, answers streamed as server-sent events chunk by chunk (with a pause before the first token
 * so time-to-first-token is measurable), usage in the last chunk when the request asks for it
 * (`stream_options.include_usage`), tool calls, and scripted failures.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatServerOptions {
  /** Pause before the first content chunk of a stream (default 60 ms). */
  firstTokenDelayMs?: number;
  /** Pause between later chunks (default 10 ms). */
  chunkDelayMs?: number;
}

export interface ChatAnswer {
  /** The answer, streamed one word per chunk. */
  content?: string;
  toolCall?: { name: string; arguments: string };
  /** Answer with this HTTP status and an OpenAI-shaped error instead. */
  status?: number;
  usage?: { prompt_tokens: number; completion_tokens: number; cached?: number; reasoning?: number };
}

export interface ChatServer {
  url: string;
  /** Bodies of the requests received. */
  requests: Record<string, unknown>[];
  /** Answers for the next requests, one each; the default echoes the last message. */
  script(...answers: ChatAnswer[]): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function usageOf(answer: ChatAnswer) {
  const u = answer.usage ?? { prompt_tokens: 12, completion_tokens: 7 };
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  };
}

export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const requests: Record<string, unknown>[] = [];
  const answers: ChatAnswer[] = [];
  const firstDelay = options.firstTokenDelayMs ?? 60;
  const chunkDelay = options.chunkDelayMs ?? 10;

  async function stream(res: ServerResponse, body: Record<string, unknown>, answer: ChatAnswer) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const base = {
      id: 'chatcmpl-stream',
      object: 'chat.completion.chunk',
      created: 1,
      model: `${String(body.model)}-2026`,
    };
    const write = (chunk: Record<string, unknown>) =>
      res.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
    const includeUsage =
      (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    write({
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      usage: null,
    });
    await sleep(firstDelay);
    if (answer.toolCall !== undefined) {
      const { name, arguments: args } = answer.toolCall;
      write({
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name, arguments: '' } }],
            },
            finish_reason: null,
          },
        ],
      });
      for (const part of [args.slice(0, 5), args.slice(5)]) {
        await sleep(chunkDelay);
        write({
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: 0, function: { arguments: part } }] },
              finish_reason: null,
            },
          ],
        });
      }
    } else {
      const words = (answer.content ?? '').split(/(?<= )/);
      for (const [i, word] of words.entries()) {
        if (i > 0) await sleep(chunkDelay);
        write({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
      }
    }
    write({ choices: [{ index: 0, delta: {}, finish_reason: answer.toolCall ? 'tool_calls' : 'stop' }] });
    if (includeUsage) write({ choices: [], usage: usageOf(answer) });
    res.end('data: [DONE]\n\n');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      requests.push(body);
      const messages = (body.messages ?? []) as { content?: unknown }[];
      const answer = answers.shift() ?? { content: `echo: ${String(messages.at(-1)?.content ?? '')}` };
      if (answer.status !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error', code: null } }));
        return;
      }
      if (body.stream === true) {
        void stream(res, body, answer);
        return;
      }
      const message = answer.toolCall
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: answer.toolCall }],
          }
        : { role: 'assistant', content: answer.content ?? '' };
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_123' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: `${String(body.model)}-2026`,
          choices: [{ index: 0, message, finish_reason: answer.toolCall ? 'tool_calls' : 'stop' }],
          usage: usageOf(answer),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...more) => answers.push(...more),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
