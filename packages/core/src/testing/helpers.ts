import { afterEach, beforeEach } from 'vitest';
import { isAetherError, type AetherError } from '../errors.js';
import type { StoreFactory } from './event-store-contract.js';

/** Runs a test body against a fresh store from the factory, cleaning up after; `peer()` is the second handle (or the store). */
export function withStore<S>(factory: StoreFactory<S>): { get(): S; peer(): S } {
  let store: S;
  let peer: S | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const made = await factory();
    store = made.store;
    peer = made.peer;
    cleanup = made.cleanup;
  });
  afterEach(async () => {
    await cleanup?.();
  });
  return { get: () => store, peer: () => peer ?? store };
}

/**
 * The code of an AetherError a promise rejects with.
 * @example expect(await errorCode(store.put(c, dup, { ifVersion: 0 }))).toBe('conflict')
 */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  return (await rejection(promise)).code;
}

/**
 * The AetherError a promise rejects with (its code, details and field errors), for asserting on all of them.
 * @example expect((await rejection(store.put(c, doc, { ifVersion: 0 }))).details).toMatchObject({ actual: 1 })
 */
export async function rejection(promise: Promise<unknown>): Promise<AetherError> {
  try {
    await promise;
  } catch (error) {
    if (isAetherError(error)) return error;
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
