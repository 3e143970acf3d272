/**
 * Which span is active, so `trace()` calls and wrapped LLM calls nest without passing parents
 * around. On Node, Bun, Deno and edge runtimes that offer it, `AsyncLocalStorage` carries the
 * active span across `await`. Elsewhere (browsers) the active span is visible only to the
 * synchronous part of the traced function; spans created after its first `await` start at the
 * top unless given a `parent` — never under the wrong parent, since the slot is restored before
 * `trace()` returns.
 */

export interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
}

export interface ContextStore {
  active(): SpanContext | undefined;
  run<T>(context: SpanContext, fn: () => T): T;
}

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}
type AsyncLocalStorageClass = new <T>() => AsyncLocalStorageLike<T>;

interface NodeLikeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function processObject(): NodeLikeProcess | undefined {
  const candidate = (globalThis as { process?: unknown }).process;
  return typeof candidate === 'object' && candidate !== null ? (candidate as NodeLikeProcess) : undefined;
}

function asyncLocalStorageClass(module: unknown): AsyncLocalStorageClass | undefined {
  const value = (module as { AsyncLocalStorage?: unknown } | undefined)?.AsyncLocalStorage;
  return typeof value === 'function' ? (value as AsyncLocalStorageClass) : undefined;
}

/** AsyncLocalStorage without a static `node:` import, so browser bundles stay clean. */
function findAsyncLocalStorage(): AsyncLocalStorageClass | undefined {
  // Vercel's and Next.js's edge runtimes expose it as a global.
  const global = asyncLocalStorageClass(globalThis);
  if (global !== undefined) return global;
  // Node ≥ 20.16 / 22.3, Bun, Deno: synchronous, so the very first trace already nests.
  try {
    return asyncLocalStorageClass(processObject()?.getBuiltinModule?.('node:async_hooks'));
  } catch {
    // A runtime that refuses the module: nesting falls back to explicit parents.
    return undefined;
  }
}

/** The fallback where no AsyncLocalStorage exists (exported for its tests). */
export function synchronousStore(): ContextStore {
  let current: SpanContext | undefined;
  return {
    active: () => current,
    run(context, fn) {
      const previous = current;
      current = context;
      try {
        return fn();
      } finally {
        current = previous;
      }
    },
  };
}

/** Creates the store: AsyncLocalStorage when the runtime has it, else the synchronous fallback. */
export function createContextStore(): ContextStore {
  const found = findAsyncLocalStorage();
  if (found !== undefined) {
    const storage = new found<SpanContext>();
    return { active: () => storage.getStore(), run: (context, fn) => storage.run(context, fn) };
  }
  const fallback = synchronousStore();
  const store: ContextStore = { active: () => fallback.active(), run: (c, fn) => fallback.run(c, fn) };
  // Node 20.12–20.15 lacks getBuiltinModule: load it asynchronously and switch once it is there.
  // The specifier is a variable so that browser bundlers do not try to resolve it.
  if (processObject()?.versions?.node !== undefined) {
    const specifier = 'node:async_hooks';
    import(/* @vite-ignore */ specifier)
      .then((module: unknown) => {
        const loaded = asyncLocalStorageClass(module);
        if (loaded === undefined) return;
        const storage = new loaded<SpanContext>();
        store.active = () => storage.getStore() ?? fallback.active();
        store.run = (context, fn) => storage.run(context, fn);
      })
      .catch(() => {
        // Not available: the synchronous fallback stays.
      });
  }
  return store;
}
