import type { Clock, RegistryStore } from '@aetherlink/core';
import type { RegistryChange, WaitForChangeOptions } from '../types.js';

const DEFAULT_WAIT_MS = 30_000;

/** The registry's change feed: in-process subscribers, and waiters on the store's version. */
export interface ChangeFeed {
  /** Wakes the waiters and, given a change, tells the subscribers. */
  changed(change?: RegistryChange): void;
  waitForChange(after: number, options?: WaitForChangeOptions): Promise<number>;
  subscribe(listener: (change: RegistryChange) => void): () => void;
  close(): void;
}

/**
 * The change feed over a store's version: waiters are woken at once by changes made here and find changes other
 * processes made to a shared store by polling it every `pollMs`.
 * @example const feed = createChangeFeed(store, clock, 1000, onError)
 */
export function createChangeFeed(store: RegistryStore, clock: Clock, pollMs: number, onError: (error: unknown) => void): ChangeFeed {
  const listeners = new Set<(change: RegistryChange) => void>();
  const waiters = new Set<() => void>();
  let closed = false;

  const wake = () => {
    for (const resolve of [...waiters]) resolve();
  };

  return {
    changed(change) {
      wake();
      if (!change) return;
      for (const listener of [...listeners]) {
        try {
          listener(change);
        } catch (error) {
          onError(error);
        }
      }
    },

    async waitForChange(after, waitOptions = {}) {
      const signal = waitOptions.signal;
      const deadline = clock.now() + (waitOptions.timeoutMs ?? DEFAULT_WAIT_MS);
      for (;;) {
        const current = await store.version();
        const remaining = deadline - clock.now();
        if (current > after || remaining <= 0 || signal?.aborted || closed) return current;
        await new Promise<void>((resolve) => {
          const done = () => {
            clock.clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            waiters.delete(done);
            resolve();
          };
          const timer = clock.setTimeout(done, Math.min(remaining, pollMs));
          signal?.addEventListener('abort', done, { once: true });
          waiters.add(done);
        });
      }
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    close() {
      closed = true;
      wake();
    },
  };
}
