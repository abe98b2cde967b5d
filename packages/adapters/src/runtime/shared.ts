import { AetherError } from '@aetherlink/core';

// Pieces both runtime adapters share.

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts (the work itself goes on; its
 * outcome is still observed, so a later failure is never an unhandled rejection).
 * @example await abortable(restartNow(), options.abort)
 */
export function abortable<T>(promise: Promise<T>, abort: AbortSignal | undefined): Promise<T> {
  if (!abort) return promise;
  if (abort.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abort.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abort.reason);
    abort.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => abort.removeEventListener('abort', onAbort));
  });
}

/**
 * The typed refusal to restart a workload that is busy (restarting, paused): a healer records it as skipped.
 * @example throw busy('billing', 'paused')
 */
export function busy(id: string, state: string): AetherError {
  return new AetherError('conflict', `"${id}" is ${state}: not restarting it now`, { details: { id, state } });
}

/**
 * The `not_found` error for a workload the runtime does not know.
 * @example throw unknownWorkload('billing', 'container')
 */
export function unknownWorkload(id: string, what: string): AetherError {
  return new AetherError('not_found', `no ${what} named "${id}"`, { details: { id } });
}
