import { errorFields, type DeliveryOutcome, type DeliveryStore, type Logger } from '@aetherlink/core';

/**
 * Records delivery outcomes in batches: outcomes gather for `delayMs` (and while a batch is being written) and go
 * to the store in one `settle` call, one transaction, where one call per delivery would cost a commit each. Each
 * `record` resolves once its batch was written (or failed: the delivery then stays leased and comes back when its
 * lease runs out, so it is delivered at least once and never lost).
 * @example const record = batchedSettle({ store, owner, delayMs: 2, log }); await record(outcome)
 */
export function batchedSettle(options: { store: DeliveryStore; owner: string; delayMs: number; log: Logger }) {
  const { store, owner, log } = options;
  const unrecorded: { outcome: DeliveryOutcome; done: () => void }[] = [];
  let flushing: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (timer || flushing) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, options.delayMs);
  };
  const flush = (): Promise<void> =>
    (flushing ??= (async () => {
      while (unrecorded.length) {
        const batch = unrecorded.splice(0, 500);
        try {
          const applied = await store.settle(owner, batch.map((b) => b.outcome));
          const lost = batch.filter((_, i) => !applied[i]).map((b) => b.outcome.id);
          if (lost.length) log.warn({ deliveries: lost.slice(0, 20), count: lost.length }, `${lost.length} deliveries were no longer leased to this instance when their outcome was recorded; another worker has them`);
        } catch (error) {
          log.error({ err: errorFields(error), count: batch.length }, `${batch.length} delivery outcomes could not be recorded; those deliveries are tried again when their leases run out`);
        } finally {
          for (const b of batch) b.done();
        }
      }
    })().finally(() => {
      flushing = undefined;
      if (unrecorded.length) schedule();
    }));
  return (outcome: DeliveryOutcome) =>
    new Promise<void>((done) => {
      unrecorded.push({ outcome, done });
      schedule();
    });
}
