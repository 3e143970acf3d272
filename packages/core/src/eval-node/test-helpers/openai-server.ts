/**
 * A scripted OpenAI-compatible Chat Completions server on 127.0.0.1:0 for runner tests: answers
 * from a function of the request, with configurable latency and 429s, and counts calls and the
 * maximum number of requests in flight.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  model: string;
  messages: { role: string; content: string }[];
  body: Record<string, unknown>;
}

export interface ScriptOptions {
  answer?: (
    req: ScriptedRequest,
  ) => string | { content?: string; toolCalls?: { name: string; arguments: string }[] };
  latencyMs?: number;
  /** Answer 429 (with Retry-After: 0) to the first n requests. */
  rateLimitFirst?: number;
  embeddings?: (input: string[]) => number[][];
}

export interface ScriptedServer {
  url: string;
  calls: number;
  maxInFlight: number;
  rateLimited: number;
  close(): Promise<void>;
}

export async function startOpenAiServer(options: ScriptOptions = {}): Promise<ScriptedServer> {
  let inFlight = 0;
  const state = { calls: 0, maxInFlight: 0, rateLimited: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      if (req.url?.endsWith('/embeddings')) {
        const input = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
        const vectors = options.embeddings?.(input) ?? input.map(() => [1, 0]);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            data: vectors.map((embedding, index) => ({ embedding, index })),
            usage: { prompt_tokens: 1, total_tokens: 1 },
          }),
        );
        return;
      }
      state.calls++;
      if (state.rateLimited < (options.rateLimitFirst ?? 0)) {
        state.rateLimited++;
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'slow down' } }));
        return;
      }
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      inFlight--;
      const request: ScriptedRequest = {
        model: String(body.model),
        messages: body.messages as ScriptedRequest['messages'],
        body,
      };
      const answer = options.answer?.(request) ?? `echo: ${request.messages.at(-1)?.content ?? ''}`;
      const content = typeof answer === 'string' ? answer : (answer.content ?? null);
      const toolCalls = typeof answer === 'string' ? undefined : answer.toolCalls;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'chatcmpl-test',
          object: 'chat.completion',
          model: request.model,
          choices: [
            {
              index: 0,
              finish_reason: toolCalls ? 'tool_calls' : 'stop',
              message: {
                role: 'assistant',
                content,
                ...(toolCalls
                  ? {
                      tool_calls: toolCalls.map((t, i) => ({
                        id: `call_${i}`,
                        type: 'function',
                        function: { name: t.name, arguments: t.arguments },
                      })),
                    }
                  : {}),
              },
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return state.calls;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get rateLimited() {
      return state.rateLimited;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
