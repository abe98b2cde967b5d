import { afterEach, beforeEach } from 'vitest';
import { isAetherError } from '../errors.js';
import type { StoreFactory } from './event-store-contract.js';

/** Runs a test body against a fresh store from the factory, cleaning up after. */
export function withStore<S>(factory: StoreFactory<S>): { get(): S } {
  let store: S;
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const made = await factory();
    store = made.store;
    cleanup = made.cleanup;
  });
  afterEach(async () => {
    await cleanup?.();
  });
  return { get: () => store };
}

/**
 * The code of an AetherError a promise rejects with.
 * @example expect(await errorCode(store.create(dup))).toBe('conflict')
 */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAetherError(error)) return error.code;
    throw error;
  }
  throw new Error('expected the promise to reject');
}


/**
 * Polls `check` until it returns a truthy value and resolves with it; rejects after `timeoutMs` naming `what`
 * (and the last error `check` threw, if any). For waiting on real servers and sockets, never on a clock.
 * @example await eventually(() => received.length === 3, 'B receives three events')
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 10,
): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, undefined | null | false | 0 | ''>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
