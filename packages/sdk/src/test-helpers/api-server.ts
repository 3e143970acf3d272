/**
 * A scripted server on 127.0.0.1 speaking OpenAI's Responses API (`POST /v1/responses`) and
 * Anthropic's Messages API (`POST /v1/messages`), streamed as named server-sent events with a pause
 * before the first token, for the wrapper tests with the real `openai` and `@anthropic-ai/sdk`
 * clients. Failures are scripted: an HTTP error before the answer, or an `error` event mid-stream.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiAnswer {
  /** The answer's text, streamed one word per event. */
  text?: string;
  /** A tool call answered instead of text. */
  toolCall?: { name: string; arguments: string };
  /** Answer with this HTTP status and the API's error body. */
  status?: number;
  /** Send an `error` event after this many words of a stream. */
  failAfterWords?: number;
}

export interface ApiServer {
  /** `http://127.0.0.1:<port>` (the Anthropic client's baseURL; OpenAI's is `${url}/v1`). */
  url: string;
  requests: { path: string; body: Record<string, unknown> }[];
  script(...answers: ApiAnswer[]): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function words(answer: ApiAnswer): string[] {
  return (answer.text ?? '').split(/(?<= )/).filter((w) => w !== '');
}

function event(res: ServerResponse, name: string, data: Record<string, unknown>): void {
  res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

const RESPONSE_USAGE = {
  input_tokens: 30,
  input_tokens_details: { cached_tokens: 10 },
  output_tokens: 6,
  output_tokens_details: { reasoning_tokens: 2 },
  total_tokens: 36,
};

function responseOf(body: Record<string, unknown>, answer: ApiAnswer, status = 'completed') {
  const item = answer.toolCall
    ? {
        type: 'function_call',
        id: 'fc_1',
        call_id: 'call_1',
        name: answer.toolCall.name,
        arguments: answer.toolCall.arguments,
        status: 'completed',
      }
    : {
        type: 'message',
        id: 'msg_1',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: answer.text ?? '', annotations: [] }],
      };
  return {
    id: 'resp_1',
    object: 'response',
    created_at: 1,
    status,
    model: `${String(body.model)}-2026`,
    output: status === 'in_progress' ? [] : [item],
    usage: status === 'in_progress' ? null : RESPONSE_USAGE,
    error: null,
    incomplete_details: null,
  };
}

async function streamResponse(
  res: ServerResponse,
  body: Record<string, unknown>,
  answer: ApiAnswer,
  firstDelayMs: number,
) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let seq = 0;
  const send = (type: string, data: Record<string, unknown>) =>
    event(res, type, { type, sequence_number: seq++, ...data });
  send('response.created', { response: responseOf(body, answer, 'in_progress') });
  await sleep(firstDelayMs);
  if (answer.toolCall) {
    const item = {
      type: 'function_call',
      id: 'fc_1',
      call_id: 'call_1',
      name: answer.toolCall.name,
      arguments: '',
    };
    send('response.output_item.added', { output_index: 0, item });
    send('response.function_call_arguments.delta', {
      output_index: 0,
      item_id: 'fc_1',
      delta: answer.toolCall.arguments,
    });
  } else {
    const item = { type: 'message', id: 'msg_1', status: 'in_progress', role: 'assistant', content: [] };
    send('response.output_item.added', { output_index: 0, item });
    for (const [i, word] of words(answer).entries()) {
      if (answer.failAfterWords === i) {
        send('error', { code: 'server_error', message: 'The model crashed mid-answer', param: null });
        res.end();
        return;
      }
      send('response.output_text.delta', {
        output_index: 0,
        content_index: 0,
        item_id: 'msg_1',
        delta: word,
      });
      await sleep(5);
    }
  }
  send('response.completed', { response: responseOf(body, answer) });
  res.end();
}

function messageOf(body: Record<string, unknown>, answer: ApiAnswer) {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: `${String(body.model)}-20260101`,
    content: answer.toolCall
      ? [
          {
            type: 'tool_use',
            id: 'tu_1',
            name: answer.toolCall.name,
            input: JSON.parse(answer.toolCall.arguments),
          },
        ]
      : [{ type: 'text', text: answer.text ?? '' }],
    stop_reason: answer.toolCall ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 20,
      output_tokens: 6,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 5,
    },
  };
}

async function streamMessage(
  res: ServerResponse,
  body: Record<string, unknown>,
  answer: ApiAnswer,
  firstDelayMs: number,
) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const full = messageOf(body, answer);
  event(res, 'message_start', {
    type: 'message_start',
    message: {
      ...full,
      content: [],
      stop_reason: null,
      usage: { input_tokens: 20, output_tokens: 1, cache_read_input_tokens: 100 },
    },
  });
  event(res, 'ping', { type: 'ping' });
  event(res, 'content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  await sleep(firstDelayMs);
  for (const [i, word] of words(answer).entries()) {
    if (answer.failAfterWords === i) {
      event(res, 'error', {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded mid-answer' },
      });
      res.end();
      return;
    }
    event(res, 'content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: word },
    });
    await sleep(5);
  }
  event(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
  event(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 9 },
  });
  event(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

export async function startApiServer(options: { firstTokenDelayMs?: number } = {}): Promise<ApiServer> {
  const requests: ApiServer['requests'] = [];
  const answers: ApiAnswer[] = [];
  const firstDelay = options.firstTokenDelayMs ?? 60;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const path = (req.url ?? '').split('?')[0] ?? '';
      requests.push({ path, body });
      const answer = answers.shift() ?? { text: 'Hello there.' };
      const anthropic = path === '/v1/messages';
      if (answer.status !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': 'req_err' });
        res.end(
          JSON.stringify(
            anthropic
              ? { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }
              : { error: { message: 'scripted failure', type: 'server_error', code: null, param: null } },
          ),
        );
        return;
      }
      if (body.stream === true) {
        void (anthropic ? streamMessage : streamResponse)(res, body, answer, firstDelay);
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-request-id': 'req_123',
        'request-id': 'req_123',
      });
      res.end(JSON.stringify(anthropic ? messageOf(body, answer) : responseOf(body, answer)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...more) => answers.push(...more),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
