/**
 * The guards every request passes before a route sees it: JSON nested too deeply is refused while
 * parsing (without recursion, so it cannot overflow the stack), NUL characters are refused in
 * bodies, queries and paths (PostgreSQL cannot store them in text), a client's `x-request-id` is
 * used only when it is short and plain, and the errors Node and the router raise on their own
 * (bad percent-encoding, over-long parameters, oversized or garbled request lines) become
 * problem+json with our codes.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { AppError, type ErrorCode, titleForCode } from '@promptline/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { overlongParameter, sendProblem, toAppError } from './problem.ts';

/** Deepest nesting of arrays and objects a JSON body may have. */
export const MAX_JSON_DEPTH = 64;

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the client's `x-request-id` when it is ≤ 128 chars of `[A-Za-z0-9._:-]`, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/**
 * Throws JSON_TOO_DEEP when `text` nests arrays/objects deeper than `maxDepth`. One pass, no
 * recursion; strings (and the brackets inside them) are skipped. Syntax is left to the parser.
 *
 * Answers whether the parsed value can hold a NUL character: in valid JSON a NUL can only be
 * written as the escape `\u0000` (a raw one is a syntax error), so a text without that escape
 * and without a raw NUL parses to strings and keys free of NUL, and the walk of `findNul` over
 * the parsed value (the costlier part of the guard on a large body) can be skipped.
 */
export function assertJsonDepth(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  let mayHoldNul = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) {
        i++;
        // `\u0000` (the hex digits of zero have no case). `\\u0000` is skipped as `\\` then text.
        if (text.charCodeAt(i) === 117 /* u */ && text.startsWith('0000', i + 1)) mayHoldNul = true;
      } else if (c === 34 /* " */) inString = false;
      else if (c === 0) mayHoldNul = true;
    } else if (c === 0) {
      mayHoldNul = true;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) {
        throw new AppError(
          'JSON_TOO_DEEP',
          `The JSON body nests objects and arrays more than ${maxDepth} levels deep. Flatten it.`,
        );
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return mayHoldNul;
}

/**
 * The path of the first string (or object key) holding a NUL character in `value`, e.g.
 * `variables.text`, or undefined. Iterative: safe on any depth.
 */
export function findNul(value: unknown, root = ''): string | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: v, path } = next;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (ArrayBuffer.isView(v)) {
      // A binary body (OTLP protobuf) holds bytes, not text: its decoder deals with NUL itself.
    } else if (v instanceof Readable) {
      // A body handed on unread (an import file): its reader checks what it reads. Walking the
      // stream object would follow its socket's references for ever.
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, String(i)) });
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000')) return join(path, key);
        stack.push({ value: child, path: join(path, key) });
      }
    }
  }
  return undefined;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Throws INVALID_CHARACTER naming the field when `value` holds a NUL character anywhere. */
export function assertNoNul(value: unknown, root = ''): void {
  const path = findNul(value, root);
  if (path === undefined) return;
  throw new AppError(
    'INVALID_CHARACTER',
    `${path ? `"${path}"` : 'The request'} contains a NUL character (\\u0000), which Promptline does not store. Remove it.`,
    { errors: [{ path, message: 'contains a NUL character (\\u0000)' }] },
  );
}

const BODYLESS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS']);

/**
 * Installs the JSON parser (depth-bounded, empty body accepted on DELETE/GET) and the NUL check
 * on body, query and path parameters, which runs before validation and before anything is written.
 */
export function installInputGuards(app: FastifyInstance): void {
  // Parsed JSON bodies whose text the depth scan proved free of NUL (see assertJsonDepth). Keyed by
  // the parsed value, so a body a hook replaced after parsing is still walked.
  const nulFreeBodies = new WeakSet<object>();
  // Fastify's own parser keeps its prototype-poisoning protection; the depth check runs first.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // A DELETE (or GET) that says JSON but sends nothing has nothing to parse: not an error.
    if (text.length === 0 && BODYLESS.has(request.method)) return done(null, undefined);
    let mayHoldNul: boolean;
    try {
      mayHoldNul = assertJsonDepth(text);
    } catch (error) {
      return done(error as FastifyError, undefined);
    }
    return parseJson(request, text, (error, value) => {
      if (!error && !mayHoldNul && typeof value === 'object' && value !== null) nulFreeBodies.add(value);
      done(error, value);
    });
  });
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      // A NUL reaches path parameters or the query only percent-encoded: Node refuses raw control
      // bytes in the request line. Most requests (every resolve) skip both walks on this test.
      if (request.raw.url?.includes('%00')) {
        assertNoNul(request.params, 'path');
        assertNoNul(request.query, 'query');
      }
      const body = request.body;
      if (body !== undefined && !(typeof body === 'object' && body !== null && nulFreeBodies.has(body))) {
        assertNoNul(body);
      }
      done();
    } catch (error) {
      done(error as FastifyError);
    }
  });
}

/** Our answer to the router's own errors (bad percent-encoding, over-long parameters). */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let appError: AppError;
  if (error.code === 'FST_ERR_BAD_URL') {
    appError = new AppError(
      'MALFORMED_URL',
      'The URL has invalid percent-encoding (e.g. "%zz"). Encode names with encodeURIComponent.',
    );
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    appError = overlongParameter();
  } else {
    appError = toAppError(error).appError;
  }
  sendProblem(request, reply, appError);
}

/** What Node's HTTP parser refuses before Fastify sees a request, answered as problem+json. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'REQUEST_TIMEOUT'
        : 'BAD_REQUEST';
  const detail =
    code === 'HEADERS_TOO_LARGE'
      ? 'The request line and headers are larger than 16 KiB (a very long query?). Send large input in a JSON body.'
      : code === 'REQUEST_TIMEOUT'
        ? 'The request was not received in time. Retry.'
        : 'The request could not be parsed as HTTP (invalid characters in the request line or headers?). Percent-encode non-ASCII characters.';
  const error_ = new AppError(code, detail);
  const body = JSON.stringify({
    type: `https://promptline.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: titleForCode(code),
    status: error_.status,
    detail,
    code,
  });
  socket.end(
    `HTTP/1.1 ${error_.status} ${titleForCode(code)}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
