/**
 * What the OpenAI and Anthropic wrappers share: a proxy that intercepts one method deep inside a
 * client, and the recording of one call around it — streamed answers included — without changing
 * what the caller gets back (the SDK's own promise and stream objects, with all their methods).
 */
import { AppError, type SpanUsage } from '@promptline/core';
import type { SpanContext } from './context.ts';
import type { TracingCore } from './tracer.ts';
import type { GenerationOptions, SpanFields } from './types.ts';

export type Fn = (...args: unknown[]) => unknown;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative integer token count, else undefined. */
export function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** One method to intercept: `root.path[0].path[1]…method` becomes `wrap(original, owner)`. */
export interface Interception {
  path: readonly string[];
  method: string;
  wrap: (original: Fn, owner: object) => Fn;
}

/**
 * A proxy of `root` whose intercepted methods are wrapped. Everything else is the client's own;
 * its methods are bound to the real object so that private fields keep working (and a method
 * calling another of its object's methods reaches the original, never the wrapper).
 */
export function interceptMethods<T extends object>(root: T, rules: readonly Interception[]): T {
  const make = <O extends object>(object: O, depth: number, live: readonly Interception[]): O =>
    new Proxy(object, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof property === 'string') {
          const deeper = live.filter((r) => depth < r.path.length && r.path[depth] === property);
          if (deeper.length > 0 && typeof value === 'object' && value !== null) {
            return make(value, depth + 1, deeper);
          }
          const rule = live.find((r) => depth === r.path.length && r.method === property);
          if (rule !== undefined && typeof value === 'function') return rule.wrap(value as Fn, target);
        }
        return typeof value === 'function' ? (value as Fn).bind(target) : value;
      },
    });
  return make(root, 0, rules);
}

/** A proxy of `root` whose `path[0].path[1]…method` is `wrap(original, owner)`. */
export function interceptMethod<T extends object>(
  root: T,
  path: readonly string[],
  method: string,
  wrap: (original: Fn, owner: object) => Fn,
): T {
  return interceptMethods(root, [{ path, method, wrap }]);
}

/** Collects a streamed answer chunk by chunk. */
export interface StreamAccumulator {
  /** Takes one chunk; true when it carried the first content (text or tool call). */
  add(chunk: unknown): boolean;
  /** What the chunks so far say. */
  fields(): SpanFields;
}

export interface CallSpec {
  core: TracingCore;
  options: GenerationOptions;
  name: string;
  provider: string;
  params: unknown;
  request: SpanFields;
  call: () => unknown;
  fromResponse: (response: unknown) => SpanFields;
  accumulator: () => StreamAccumulator;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return isRecord(value) && typeof value.then === 'function';
}

/** The recording of one call, begun: `finish` records its span once, `guarded` keeps our bugs from the caller. */
export interface CallRecording {
  /** Records the span with the request's fields and these (later calls do nothing). */
  finish(fields: SpanFields): void;
  /** Runs `fn`; a throw is reported through `onError`, never to the caller. */
  guarded(what: string, fn: () => void): void;
  /** ms since the call began. */
  elapsedMs(): number;
}

/** Starts recording one call (its start time and parent are taken now). */
export function beginCall(
  spec: Pick<CallSpec, 'core' | 'options' | 'name' | 'provider' | 'request'>,
): CallRecording {
  const { core, options } = spec;
  const parent: SpanContext | undefined =
    options.parent === undefined ? core.active() : (options.parent ?? undefined);
  const startTime = Date.now();
  const t0 = performance.now();
  const content = options.recordContent !== false;
  let recorded = false;
  return {
    finish(fields) {
      if (recorded) return;
      recorded = true;
      const { input, output, ...rest } = { ...spec.request, ...fields };
      const attributes = { ...spec.request.attributes, ...fields.attributes, ...options.attributes };
      core.record({
        name: options.name ?? spec.name,
        provider: options.provider ?? spec.provider,
        ...(parent === undefined
          ? { parentSpanId: null }
          : { traceId: parent.traceId, parentSpanId: parent.spanId }),
        startTime,
        endTime: startTime + (performance.now() - t0),
        ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
        ...(options.unit === undefined ? {} : { unit: options.unit }),
        ...(options.variables === undefined ? {} : { variables: options.variables }),
        ...(options.userId === undefined ? {} : { userId: options.userId }),
        ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
        ...rest,
        ...(content ? { input, output } : {}),
        ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
      });
    },
    guarded(what, fn) {
      try {
        fn();
      } catch (error) {
        core.report(
          new AppError('INTERNAL', `Could not record the ${spec.name} call (${what}): ${String(error)}`),
        );
      }
    },
    elapsedMs: () => performance.now() - t0,
  };
}

/** Time to first token as the span carries it (µs precision). */
export function firstTokenField(ms: number | undefined): SpanFields {
  return ms === undefined ? {} : { timeToFirstTokenMs: Math.round(ms * 1000) / 1000 };
}

/** Records one LLM call made by `spec.call()` and returns exactly what it returned. */
export function observeCall(spec: CallSpec): unknown {
  const { finish, guarded, elapsedMs } = beginCall(spec);

  let result: unknown;
  try {
    result = spec.call();
  } catch (error) {
    finish({ error });
    throw error;
  }
  const streamed = isRecord(spec.params) && spec.params.stream === true;
  const onValue = (value: unknown): void =>
    guarded('answer', () => {
      if (!streamed) {
        finish(spec.fromResponse(value));
        return;
      }
      const accumulator = spec.accumulator();
      let firstTokenMs: number | undefined;
      instrumentStream(
        value,
        (chunk) =>
          guarded('chunk', () => {
            if (accumulator.add(chunk) && firstTokenMs === undefined) firstTokenMs = elapsedMs();
          }),
        (error) =>
          finish({
            ...accumulator.fields(),
            ...firstTokenField(firstTokenMs),
            ...(error === undefined ? {} : { error }),
          }),
      );
    });
  const onError = (error: unknown): void => finish({ error });
  if (isLazyApiPromise(result)) observeLazily(result, onValue, onError, finish);
  else if (isThenable(result)) {
    // Registered before the caller's own `await`, so a stream is instrumented before it is read.
    result.then(onValue, onError);
  } else {
    onValue(result);
  }
  return result;
}

/** The `openai` / `@anthropic-ai/sdk` promise: it parses the body only when asked (`then`, `withResponse`). */
interface LazyApiPromise {
  parse: () => Promise<unknown>;
  asResponse: () => Promise<unknown>;
}

function isLazyApiPromise(value: unknown): value is LazyApiPromise {
  return isRecord(value) && typeof value.parse === 'function' && typeof value.asResponse === 'function';
}

/**
 * Observes such a promise only through the caller's own use of it: reading its answer ourselves
 * would consume the body, and a caller who wants the raw `Response` (`asResponse()`) would find it
 * used. Everything that reads the answer goes through `parse()`, so that is where the span hooks
 * in — first, before the caller's continuation. `asResponse()` alone records timing and status.
 */
function observeLazily(
  result: LazyApiPromise,
  onValue: (value: unknown) => void,
  onError: (error: unknown) => void,
  finish: (fields: SpanFields) => void,
): void {
  const parse = result.parse.bind(result);
  const asResponse = result.asResponse.bind(result);
  let parsed = false;
  result.parse = () => {
    const answer = parse();
    if (!parsed) {
      parsed = true;
      answer.then(onValue, onError);
    }
    return answer;
  };
  result.asResponse = () => {
    const response = asResponse();
    response.then((raw) => {
      // Only when the answer is not read as well: then its span has more to say.
      if (parsed) return;
      const status = isRecord(raw) && typeof raw.status === 'number' ? raw.status : undefined;
      finish(status === undefined || status < 400 ? {} : { error: `HTTP ${status}` });
    }, onError);
    return response;
  };
}

/**
 * Observes a stream as the caller reads it, in place: the stream object the caller holds keeps
 * its class and methods. `onEnd` runs once — at the end, on an error, or when the reader stops.
 * An `openai`/Anthropic SDK stream reads through its `iterator` (so `tee()` is covered); any other
 * async iterable through `Symbol.asyncIterator`.
 */
function instrumentStream(
  stream: unknown,
  onChunk: (chunk: unknown) => void,
  onEnd: (error?: unknown) => void,
): void {
  let ended = false;
  const end = (error?: unknown): void => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  if (!isRecord(stream)) {
    end();
    return;
  }
  const target = stream as Record<PropertyKey, unknown>;
  const key: PropertyKey =
    Object.hasOwn(target, 'iterator') && typeof target.iterator === 'function'
      ? 'iterator'
      : Symbol.asyncIterator;
  const original = target[key];
  if (typeof original !== 'function') {
    end();
    return;
  }
  target[key] = function (this: unknown, ...args: unknown[]) {
    const iterator = (original as Fn).apply(this, args) as AsyncIterator<unknown>;
    const observed: AsyncIterableIterator<unknown> = {
      async next(...nextArgs: [] | [unknown]) {
        try {
          const step = await iterator.next(...nextArgs);
          if (step.done === true) end();
          else onChunk(step.value);
          return step;
        } catch (error) {
          end(error);
          throw error;
        }
      },
      async return(value?: unknown) {
        end();
        return iterator.return === undefined ? { done: true, value } : iterator.return(value);
      },
      async throw(error?: unknown) {
        end(error);
        if (iterator.throw === undefined) throw error;
        return iterator.throw(error);
      },
      [Symbol.asyncIterator]() {
        return observed;
      },
    };
    return observed;
  };
}

/** The usage fields only when both counts are known. */
export function usage(input: number | undefined, output: number | undefined, extra: Partial<SpanUsage> = {}) {
  if (input === undefined || output === undefined) return undefined;
  const result: SpanUsage = { input, output };
  if (extra.cachedInput !== undefined) result.cachedInput = extra.cachedInput;
  if (extra.reasoning !== undefined) result.reasoning = extra.reasoning;
  return result;
}
