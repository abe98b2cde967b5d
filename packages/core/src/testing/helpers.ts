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

