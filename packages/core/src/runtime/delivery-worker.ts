import { systemClock, type Clock } from '../clock.js';
import type { DeliveryRecord, DeliveryStore } from '../stores/types.js';

/** What one try at sending a delivery came to. */
export interface SendResult {
  ok: boolean;
  status: number | null;
  error?: string;
  /** The receiver's Retry-After, in ms. */
  retryAfterMs?: number;
  /** The receiver said the endpoint is gone (HTTP 410): no more tries. */
  gone?: boolean;
}

/** Delays before attempts 2, 3, …: Svix's schedule (DESIGN §5); attempt 1 is immediate. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface RetryPolicy {
  scheduleMs?: readonly number[];
  /** ± this fraction of each delay, at random. Default 0.2. */
  jitter?: number;
  random?: () => number;
}

/**
 * When to try again after failed attempt number `attempt`, or null to dead-letter. Pure.
 * @example nextRetryAt({ attempt: 1, maxAttempts: 8, now, result }) // now + ~5 s
 */
export function nextRetryAt(input: { attempt: number; maxAttempts: number; now: number; result: SendResult; policy?: RetryPolicy }): number | null {
  const { attempt, maxAttempts, now, result, policy = {} } = input;
  if (result.gone || attempt >= maxAttempts) return null;
  const schedule = policy.scheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
  const base = schedule[Math.min(attempt - 1, schedule.length - 1)] ?? 0;
  const jitter = policy.jitter ?? 0.2;
  const spread = base * jitter * ((policy.random ?? Math.random)() * 2 - 1);
  return now + Math.max(Math.round(base + spread), result.retryAfterMs ?? 0);
}

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
  onError?: (error: unknown, delivery?: DeliveryRecord) => void;
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
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(`delivery failed unexpectedly: ${String(error)}`, 'AetherLinkWarning'));

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
