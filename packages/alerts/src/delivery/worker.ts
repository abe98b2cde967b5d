import { errorFields, loggerFor, systemClock, type Clock, type DeliveryRecord, type DeliveryStore, type Logger } from '@aetherlink/core';
import { nextRetryAt, type RetryPolicy, type SendResult } from './schedule.js';

export interface DeliveryWorkerOptions {
  store: DeliveryStore;
  send: (delivery: DeliveryRecord, signal: AbortSignal) => Promise<SendResult>;
  /** This instance's id: leases are taken in its name. */
  owner: string;
  clock?: Clock;
  /** How long a lease lasts; longer than the slowest send. Default 60 s. */
  leaseMs?: number;
  /** Deliveries leased per pass. Default 20. */
  batchSize?: number;
  /** Sends in flight at once. Default 8. */
  concurrency?: number;
  retry?: RetryPolicy;
  logger?: Logger;
}

export interface DeliveryWorker {
  /** Leases due deliveries and sends them; resolves with how many were tried. */
  runOnce(signal?: AbortSignal): Promise<number>;
}

/**
 * Consumes the delivery queue: lease, send, then complete, retry later, or dead-letter. Safe to run on several
 * instances at once (each lease goes to one); wrap it in `createLoop` to poll.
 * @example const worker = createDeliveryWorker({ store, send: webhookSender(), owner: instanceId })
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = options.batchSize ?? 20;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const log = loggerFor(options.logger, 'delivery');
  // A send that throws is a failed attempt; this is for the store failing to record one (it stays leased and
  // comes back when the lease runs out).
  const onError = (error: unknown, delivery: DeliveryRecord) =>
    log.error({ delivery_id: delivery.id, err: errorFields(error) }, `delivery ${delivery.id} could not be recorded; it is tried again when its lease runs out`);

  const one = async (delivery: DeliveryRecord, signal: AbortSignal) => {
    const attempt = delivery.attempts + 1;
    const started = clock.now();
    let result: SendResult;
    try {
      result = await options.send(delivery, signal);
    } catch (error) {
      result = { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
    }
    const now = clock.now();
    const record = { attempt, at: new Date(now).toISOString(), duration_ms: now - started, status_code: result.status, error: result.ok ? null : (result.error ?? `HTTP ${result.status}`) };
    if (result.ok) await options.store.complete(delivery.id, options.owner, record);
    else await options.store.fail(delivery.id, options.owner, record, nextRetryAt({ attempt, maxAttempts: delivery.max_attempts, now, result, ...(options.retry ? { policy: options.retry } : {}) }));
  };

  return {
    async runOnce(signal = new AbortController().signal) {
      const leased = await options.store.lease({ owner: options.owner, now: clock.now(), leaseMs, limit: batchSize });
      let next = 0;
      const lane = async () => {
        while (next < leased.length && !signal.aborted) {
          const delivery = leased[next++]!;
          await one(delivery, signal).catch((error: unknown) => onError(error, delivery));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, leased.length) }, lane));
      return leased.length;
    },
  };
}
