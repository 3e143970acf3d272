/**
 * Deployment changes, published after commit by the deployment service and consumed by the
 * snapshot cache (and, later, the SSE stream). In-process here; a PostgreSQL LISTEN/NOTIFY feed
 * implementing the same interface carries them between instances.
 */

/** A release changed for `prompt` in `environment`. `prompt` is `'*'` when the whole environment changed (e.g. renamed or archived). */
export interface DeploymentChange {
  projectId: string;
  environment: string;
  prompt: string;
}

/**
 * A batch of spans was written (the trace list's live tail): which project, the batch's start
 * times and its `received_at` stamp, so an instance can read exactly those spans back. Never the
 * spans' content: a notification stays small and carries nothing an end user wrote.
 */
export interface SpansWritten {
  projectId: number;
  /** Epoch ms: the earliest and latest start of the batch's written spans. */
  fromMs: number;
  toMs: number;
  /** The `received_at` of the batch's rows. */
  receivedAt: string;
  /** Spans the batch wrote. */
  count: number;
}

/** Every environment of every project: what a feed reports as changed after it may have missed changes. */
export type EnvironmentLister = () => Promise<{ projectId: string; environment: string }[]>;

export interface ChangeFeed {
  publish(change: DeploymentChange): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (c: DeploymentChange) => void): () => void;
  /**
   * For feeds that can miss changes (a lost LISTEN connection): where to learn, on resync, which
   * environments to report as changed. app.ts hands it the environments service.
   */
  resyncFrom?(list: EnvironmentLister): void;
  /**
   * For feeds that span instances: an API key was revoked or restored elsewhere (`keyId`), or any
   * key may have changed (`null`): a membership changed (roles are capped by it) or the feed was down. The auth service drops what it cached.
   * A single-process feed needs none: the instance that revokes clears its own cache.
   */
  subscribeKeys?(listener: (keyId: number | null) => void): () => void;
  /**
   * For feeds that span instances: tells the other instances that this one wrote a batch of spans
   * (not this one: its tail already heard them in-process). A single-process feed needs none.
   */
  publishSpans?(batch: SpansWritten): void;
  /** Batches of spans written by other instances. */
  subscribeSpans?(listener: (batch: SpansWritten) => void): () => void;
  /**
   * For feeds that span instances: tells the other instances that this one has an open live tail
   * of `projectId` (said when the first one opens, and again while any stays open), so they
   * announce their batches of that project. A feed with `publishSpans` but without this hears
   * every batch.
   */
  publishTailInterest?(projectId: number): void;
  /** Projects that another instance tails (each announcement, as it arrives). */
  subscribeTailInterest?(listener: (projectId: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * A feed that delivers changes to listeners in this process, synchronously. A listener that
 * throws is reported to `onListenerError` and the others still hear the change.
 */
export function createLocalChangeFeed(
  options: { onListenerError?: (error: unknown) => void } = {},
): ChangeFeed {
  const listeners = new Set<(c: DeploymentChange) => void>();
  return {
    publish(change) {
      for (const listener of [...listeners]) {
        try {
          listener(change);
        } catch (error) {
          // One faulty listener must not keep the others from hearing about a release change.
          options.onListenerError?.(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
