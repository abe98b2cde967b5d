import { AsyncResource } from 'node:async_hooks';
import { errorFields, loggerFor, systemClock, type Clock, type DeliveryOutcome, type DeliveryRecord, type DeliveryStore, type Logger } from '@aetherlink/core';
import { batchedSettle } from '../_internal/batched-settle.js';
import { createLanes } from '../_internal/lanes.js';
import { createRateLimiter, type RateLimit } from './rate-limit.js';
import { nextRetryAt, type RetryPolicy, type SendResult } from './schedule.js';

/** Where one delivery goes: what caps and rate limits key on, the bucket it draws from, the signing key. */
export interface DeliveryTarget {
  /** The endpoint id, or for a delivery without one its URL's origin. */
  key: string;
  limit: RateLimit | null;
  secret: Buffer | null;
}

export interface DeliveryWorkerOptions {
  store: DeliveryStore;
  send: (delivery: DeliveryRecord, target: DeliveryTarget, signal: AbortSignal) => Promise<SendResult>;
  /** Where a delivery goes, or why it goes nowhere any more (`cancel`). Default: its URL's origin, unsigned, unlimited. */
  resolve?: (delivery: DeliveryRecord) => Promise<DeliveryTarget | { cancel: string }>;
  /** This instance's id: leases are taken in its name. */
  owner: string;
  clock?: Clock;
  /** How long a lease lasts; longer than the slowest send. Default 60 s. */
  leaseMs?: number;
  /** Most deliveries leased at once. Default 64. */
  batchSize?: number;
  /** Deliveries being worked at once on this instance (sending, waiting for their target, or being recorded). Default 64. */
  concurrency?: number;
  /** Sends in flight at once to one target. Default 16. */
  perTarget?: number;
  /** How long finished attempts gather before they are recorded together (one transaction). Default 2 ms. */
  settleDelayMs?: number;
  /**
   * How long a delivery waits here for one of its target's sends to finish (real time). A target whose oldest
   * send is older than this is slow: its deliveries go back to the queue instead of waiting, so a hanging target
   * holds `perTarget` lanes and no more. Default 1000 ms.
   */
  queueWaitMs?: number;
  /** How long a delivery put back for a busy target waits before it is due again. Default 1000 ms. */
  busyRetryMs?: number;
  retry?: RetryPolicy;
  /** After each attempt, before it is recorded: metrics, disabling an endpoint that is gone. Never fails the attempt. */
  onAttempt?: (delivery: DeliveryRecord, target: DeliveryTarget, result: SendResult, outcome: DeliveryOutcome) => void | Promise<void>;
  logger?: Logger;
}

export interface DeliveryWorker {
  /** Fills free lanes with due deliveries until none are due; resolves with how many it leased. Sends go on after. */
  pump(signal?: AbortSignal): Promise<number>;
  /** `pump`, then waits until every delivery it started is recorded (tests, manual passes). */
  runOnce(signal?: AbortSignal): Promise<number>;
  /** Pumps soon, for deliveries just enqueued on this instance. */
  wake(): void;
  /** Resolves once nothing is in flight and every outcome is recorded. */
  idle(): Promise<void>;
  /** Deliveries being worked now. */
  active(): number;
  /** Stops leasing; sends in flight get `graceMs` to finish, then are cut short and put back in the queue. */
  close(graceMs?: number): Promise<void>;
}

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};

/**
 * Works the delivery queue on one instance: leases due deliveries, sends each (a few at a time per target, within
 * its rate limit), then records delivered, retry later, dead letter, released or cancelled, batched into one store
 * call. Sends go on after a pass returns, so a target that hangs holds only its own few lanes. Safe on several
 * instances at once: each lease goes to one of them.
 * @example const worker = createDeliveryWorker({ store, owner: instanceId(), send: (d, t, signal) => sender.send(d, t.secret, signal) })
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { store, owner } = options;
  const clock = options.clock ?? systemClock;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = Math.max(1, options.batchSize ?? 64);
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const perTarget = Math.max(1, options.perTarget ?? 16);
  const settleDelayMs = options.settleDelayMs ?? 2;
  // A pass leases again once this many lanes are free (or none is busy), so leases come in batches, not one by one.
  const leaseAt = Math.max(1, Math.min(batchSize, Math.floor(concurrency / 4)));
  const queueWaitMs = options.queueWaitMs ?? 1000;
  const busyRetryMs = options.busyRetryMs ?? 1000;
  const log = loggerFor(options.logger, 'delivery');
  const resolve = options.resolve ?? (async (d: DeliveryRecord): Promise<DeliveryTarget> => ({ key: originOf(d.endpoint), limit: null, secret: null }));
  const limiter = createRateLimiter();
  const active = new Set<Promise<void>>();
  const stop = new AbortController();
  let closing = false;

  const record = batchedSettle({ store, owner, delayMs: settleDelayMs, log });
  const lanes = createLanes({ perTarget, waitMs: queueWaitMs });

  const attemptAt = async (d: DeliveryRecord, target: DeliveryTarget): Promise<void> => {
    const done = lanes.begin(target.key);
    let result: SendResult;
    try {
      result = await options.send(d, target, stop.signal);
    } catch (error) {
      result = { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
    } finally {
      done();
    }
    const now = clock.now();
    if (result.aborted) return record({ id: d.id, outcome: 'released', at: now, retryAt: now });
    if (result.retryAfterMs !== undefined && (result.status === 429 || result.status === 503)) limiter.pause(target.key, now + result.retryAfterMs);
    const attempt = {
      attempt: d.attempts + 1,
      at: new Date(now).toISOString(),
      duration_ms: result.latencyMs ?? 0,
      status_code: result.status,
      error: result.ok ? null : (result.error ?? `HTTP ${result.status}`),
      response_body: result.responseBody ?? null,
    };
    const outcome: DeliveryOutcome = result.ok
      ? { id: d.id, outcome: 'delivered', attempt }
      : { id: d.id, outcome: 'failed', attempt, retryAt: nextRetryAt({ attempt: attempt.attempt, maxAttempts: d.max_attempts, now, result, ...(options.retry ? { policy: options.retry } : {}) }) };
    try {
      await options.onAttempt?.(d, target, result, outcome);
    } catch (error) {
      log.error({ delivery_id: d.id, err: errorFields(error) }, 'a delivery attempt hook failed; the attempt is recorded all the same');
    }
    return record(outcome);
  };

  const work = async (d: DeliveryRecord): Promise<void> => {
    let target: DeliveryTarget | { cancel: string };
    try {
      target = await resolve(d);
    } catch (error) {
      log.error({ delivery_id: d.id, err: errorFields(error) }, `delivery ${d.id}: its endpoint could not be read; it is tried again in ${busyRetryMs} ms`);
      return record({ id: d.id, outcome: 'released', at: clock.now(), retryAt: clock.now() + busyRetryMs });
    }
    const now = clock.now();
    if ('cancel' in target) return record({ id: d.id, outcome: 'cancelled', at: now, reason: target.cancel });
    const waitMs = limiter.book(target.key, d.id, target.limit, now);
    if (waitMs > 0) return record({ id: d.id, outcome: 'released', at: now, retryAt: now + waitMs });
    if (!(await lanes.acquire(target.key))) {
      const at = clock.now();
      return record({ id: d.id, outcome: 'released', at, retryAt: at + (closing ? 0 : busyRetryMs) });
    }
    return attemptAt(d, target);
  };

  const start = (d: DeliveryRecord) => {
    const p: Promise<void> = work(d)
      .catch((error: unknown) => log.error({ delivery_id: d.id, err: errorFields(error) }, `delivery ${d.id} failed unexpectedly; it is tried again when its lease runs out`))
      .finally(() => active.delete(p));
    active.add(p);
  };

  const pumpOnce = async (signal: AbortSignal) => {
    let leased = 0;
    while (!signal.aborted && !closing) {
      const free = concurrency - active.size;
      if (free < leaseAt && active.size > 0) {
        await Promise.race(active);
        continue;
      }
      const want = Math.min(free, batchSize);
      const batch = await store.lease({ owner, now: clock.now(), leaseMs, limit: want });
      leased += batch.length;
      for (const d of batch) start(d);
      if (batch.length < want) break;
    }
    return leased;
  };

  let pumping: Promise<number> | undefined;
  let again = false;
  const pump = (signal: AbortSignal = new AbortController().signal): Promise<number> => {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = (async () => {
      let n = 0;
      do {
        again = false;
        n += await pumpOnce(signal);
      } while (again && !signal.aborted && !closing);
      return n;
    })().finally(() => {
      pumping = undefined;
    });
    return pumping;
  };

  // Bound to where the worker was made: a pass woken by an enqueue in a traced request must not run (and log)
  // in that request's trace; each attempt joins the trace its own delivery was queued in.
  const pumpSoon = AsyncResource.bind(() => void pump().catch((error: unknown) => log.error({ err: errorFields(error) }, 'a delivery pass failed; the next one runs on schedule')));

  // Every delivery stays active until its outcome is recorded, so no active ones means nothing left to record.
  const idle = async () => {
    while (active.size) await Promise.all([...active]);
  };

  return {
    pump,
    async runOnce(signal) {
      const n = await pump(signal);
      await idle();
      return n;
    },
    wake() {
      if (closing) return;
      setImmediate(pumpSoon);
    },
    idle,
    active: () => active.size,
    async close(graceMs = 5000) {
      closing = true;
      lanes.close();
      await pumping?.catch(() => undefined);
      if (active.size) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([Promise.all([...active]), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
        clearTimeout(timer);
      }
      stop.abort();
      await idle();
    },
  };
}
