import { type ComponentType, type ReactNode, useEffect, useState } from 'react';
import { Loading } from '../components/states.tsx';

/** A page whose code loads on demand; `preload()` fetches its chunk ahead (a nav link on hover). */
export interface LazyPage<P> {
  (props: P): ReactNode;
  /** Starts loading the page's chunk (once); resolves when the page can render. */
  preload(): Promise<ComponentType<P>>;
}

/**
 * A route's page in its own chunk, like `React.lazy`, but without Suspense: until the chunk is
 * there the page shows the loading line itself, and the moment it arrives an ordinary state update
 * renders it.
 *
 * Why not `React.lazy`: a lazy page suspends, its Suspense boundary shows the fallback, and React
 * 19 holds the content that replaces a fallback back until 300 ms after that fallback appeared
 * (its FALLBACK_THROTTLE_MS, for retries). Every page opened by URL (or by a click before its chunk
 * was loaded) thus showed its content — and started its own data requests, which run in effects
 * after that commit — no sooner than 300 ms after the shell: most of the traces page's 335 ms from
 * mount to first rows (bench/traces-page.bench.ts).
 */
export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): LazyPage<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  const preload = () => {
    loading ??= load().then(
      (module) => {
        loaded = module.default;
        return module.default;
      },
      (error: unknown) => {
        loading = undefined; // a later visit tries again (a chunk fetch can fail on a flaky network)
        throw error;
      },
    );
    return loading;
  };

  // biome-ignore lint/correctness/noComponentHookFactories: made once per page at module level, as React.lazy makes its component
  function Page(props: P) {
    const [, setReady] = useState(loaded !== undefined);
    const [failed, setFailed] = useState<{ error: unknown } | null>(null);
    // Started while rendering, as React.lazy does: the chunk is asked for at once, not after paint.
    if (!loaded) void preload().catch(() => undefined); // the effect below reports the failure
    useEffect(() => {
      // Always listens: the chunk may have arrived between the render above and this effect.
      let current = true;
      preload().then(
        () => current && setReady(true),
        (error: unknown) => current && setFailed({ error }),
      );
      return () => {
        current = false;
      };
    }, []);
    // As with React.lazy, a chunk that cannot be loaded is an error of the page.
    if (failed) throw failed.error;
    const Loaded = loaded;
    return Loaded ? <Loaded {...props} /> : <Loading />;
  }
  return Object.assign(Page, { preload });
}
