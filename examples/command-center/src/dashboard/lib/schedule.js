// @ts-check

/**
 * Calls `fn` once things have been quiet for `waitMs`, and at least every `maxWaitMs` while they are not: a burst
 * of live events reloads the stats once, and a steady stream still reloads them now and then.
 * @param {() => void} fn
 * @param {number} waitMs
 * @param {number} maxWaitMs
 * @returns {(() => void) & { cancel(): void }}
 * @example const reload = debounce(() => void stats.refresh(), 1000, 5000); bus.on('event', reload)
 */
export function debounce(fn, waitMs, maxWaitMs) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {number | undefined} */
  let firstCall;
  const run = () => {
    clearTimeout(timer);
    timer = undefined;
    firstCall = undefined;
    fn();
  };
  const call = () => {
    const now = Date.now();
    firstCall ??= now;
    clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(waitMs, firstCall + maxWaitMs - now)));
  };
  return Object.assign(call, {
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      firstCall = undefined;
    },
  });
}
