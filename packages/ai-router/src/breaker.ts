import { EventEmitter } from 'node:events';
import type { Clock } from '@aetherlink/core';
import CircuitBreaker from 'opossum';
import { isProviderError, ProviderError } from './errors.js';
import type { BreakerSettings, BreakerState } from './types.js';

/** A provider's circuit breaker: opossum's state machine, with time taken from the injected clock. */
export interface ProviderBreaker {
  /** Current state; an open breaker whose reset time has passed turns half-open here. */
  state(): BreakerState;
  /** When an open breaker lets its trial call through; null unless open. */
  reopensAt(): number | null;
  /** Runs one attempt through the breaker; rejects with a `breaker_open` ProviderError when it may not run. */
  fire<T>(run: () => Promise<T>): Promise<T>;
  /** Opens the breaker for `ms` (quota used up, a long `retry-after`), or keeps it open at least that long. */
  coolDown(ms: number): void;
  /** Counts a failure that surfaced after its attempt had succeeded (a stream that broke mid-way). */
  recordFailure(error: unknown): void;
  /** Clears its timers. */
  shutdown(): void;
}

export interface BreakerOptions {
  name: string;
  clock: Clock;
  settings: Required<BreakerSettings>;
  /** False for failures that say nothing about the provider (cancellations, bad requests). */
  isFailure(error: unknown): boolean;
  /** It opened until `reopensAt`: on the failure that tipped it (`cause`), or forced (`coolDown`, no cause). */
  onOpen?(reopensAt: number, cause: unknown): void;
  /** A trial call succeeded and it closed. */
  onClose?(): void;
}

// opossum's own reset timer runs on real time; the injected clock decides instead, so it is parked.
const PARKED = 2 ** 31 - 1;
type Run = () => Promise<unknown>;
const invoke = (run: Run): Promise<unknown> => run();
const noop = () => undefined;

/**
 * Wraps opossum so that tests and benchmarks drive its time: the rolling window rotates from the clock
 * (no interval timers), the breaker turns half-open when the clock passes the reset time (a fresh
 * opossum instance in its half-open state, sharing the window), and attempts are timed by the router.
 * Latency percentiles are off: opossum re-sorts the whole window on every failure when they are on.
 * @example const breaker = createBreaker({ name: 'claude', clock, settings, isFailure: (e) => e.countsAsFailure })
 */
export function createBreaker(options: BreakerOptions): ProviderBreaker {
  const { clock, settings } = options;
  const buckets = Math.max(1, Math.floor(settings.rollingBuckets));
  const bucketMs = Math.max(1, Math.floor(settings.rollingWindowMs / buckets));
  const rotor = new EventEmitter();
  let lastRotation = clock.now();
  let openUntil = 0;
  let forcedUntil: number | undefined;
  let status: CircuitBreaker.Status | undefined;
  let lastFailure: unknown;

  const onOpen = () => {
    openUntil = forcedUntil ?? clock.now() + settings.resetTimeoutMs;
    options.onOpen?.(openUntil, forcedUntil === undefined ? lastFailure : undefined);
  };
  // After a recovery the window starts afresh, so old failures cannot reopen it on the next one.
  const onClose = () => {
    for (let i = 0; i < buckets; i++) rotor.emit('rotate');
    lastRotation = clock.now();
    openUntil = 0;
    options.onClose?.();
  };

  const make = (halfOpen: boolean): CircuitBreaker => {
    const breakerOptions: CircuitBreaker.Options & { state?: { closed: boolean; halfOpen: boolean } } = {
      name: options.name,
      timeout: false,
      resetTimeout: PARKED,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      rollingCountTimeout: bucketMs * buckets,
      rollingCountBuckets: buckets,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: rotor,
      errorFilter: (error: unknown) => {
        const counts = options.isFailure(error);
        if (counts) lastFailure = error;
        return !counts;
      },
      ...(status ? { status } : {}),
      ...(halfOpen ? { state: { closed: false, halfOpen: true } } : {}),
    };
    const breaker = new CircuitBreaker(invoke, breakerOptions);
    status = breaker.status;
    breaker.on('open', onOpen);
    breaker.on('close', onClose);
    return breaker;
  };

  let cb = make(false);

  const rotate = () => {
    const due = Math.floor((clock.now() - lastRotation) / bucketMs);
    if (due <= 0) return;
    lastRotation += due * bucketMs;
    for (let i = Math.min(due, buckets); i > 0; i--) rotor.emit('rotate');
  };

  const state = (): BreakerState => {
    if (cb.opened && clock.now() >= openUntil) {
      // The parked reset timer of the open instance is cleared by close(); its listeners go first so the
      // shared window is not touched.
      const old = cb;
      old.removeAllListeners();
      old.close();
      cb = make(true);
    }
    return cb.closed ? 'closed' : cb.halfOpen ? 'half_open' : 'open';
  };

  const forceOpen = (until: number) => {
    forcedUntil = until;
    try {
      cb.open();
    } finally {
      forcedUntil = undefined;
    }
  };

  return {
    state,
    reopensAt: () => (cb.opened ? openUntil : null),
    fire<T>(run: () => Promise<T>): Promise<T> {
      rotate();
      state();
      const trial = cb.halfOpen && cb.pendingClose;
      return (cb.fire(run as Run) as Promise<T>).then(undefined, (error: unknown) => {
        if (CircuitBreaker.isOurError(error as Error)) {
          throw new ProviderError('breaker_open', cb.halfOpen ? 'circuit breaker half-open: its one trial call is in flight' : 'circuit breaker open', { cause: error });
        }
        // A cancelled trial proves nothing either way: the next caller gets the trial instead.
        if (trial && isProviderError(error) && error.kind === 'cancelled') forceOpen(clock.now());
        throw error;
      });
    },
    coolDown(ms) {
      const until = clock.now() + ms;
      if (cb.opened) openUntil = Math.max(openUntil, until);
      else forceOpen(until);
    },
    recordFailure(error) {
      rotate();
      state();
      if (cb.closed) cb.fire(() => Promise.reject(error)).catch(noop);
    },
    shutdown() {
      cb.shutdown();
    },
  };
}
