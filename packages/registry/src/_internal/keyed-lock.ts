/** Runs tasks one at a time per key; different keys run side by side. */
export interface KeyedLock {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Keys with a task running or queued. */
  size(): number;
}

/**
 * A per-key mutex. Read-modify-write sequences on one service (register, heartbeat, a probe's result, lease
 * expiry) run one at a time inside one process, so they do not lose conditional-write races to each other;
 * across processes the store's revisions keep them safe.
 * @example await lock.run('billing', () => store.patch('billing', { status: 'ok' }))
 */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, task) {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task, task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    size: () => tails.size,
  };
}
