/** Reconnect delays: exponential growth with "full jitter" so a server restart is not met by a herd. */
export interface Backoff {
  /** Delay before the next attempt, in ms; each call grows the ceiling. */
  next(): number;
  /** Call after a healthy connection so the next failure starts small again. */
  reset(): void;
  /** The server's `retry:` hint becomes the base delay. */
  setBase(ms: number): void;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Defaults to `Math.random`; tests pass a fixed one. */
  random?: () => number;
}

/** Creates a jittered exponential backoff: attempt n waits uniform in [base/2, min(max, base·2ⁿ)]. */
export function createBackoff(options: BackoffOptions): Backoff {
  const random = options.random ?? Math.random;
  let base = options.baseMs;
  let attempt = 0;
  return {
    next(): number {
      const ceiling = Math.min(options.maxMs, base * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      // Keep a floor of half the base: a zero delay would hammer a server that is restarting.
      const floor = Math.min(base / 2, ceiling);
      return Math.round(floor + random() * (ceiling - floor));
    },
    reset(): void {
      attempt = 0;
    },
    setBase(ms: number): void {
      base = Math.max(1, Math.min(ms, options.maxMs));
    },
  };
}
