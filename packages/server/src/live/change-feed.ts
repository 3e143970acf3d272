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
