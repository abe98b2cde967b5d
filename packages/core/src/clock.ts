/** Time and timers, injected wherever a loop runs so tests never sleep. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock. Its timers are unref'd so a forgotten loop never keeps a process alive.
 * @example const clock = systemClock; clock.now()
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const t = setTimeout(callback, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  /** Moves time forward, running each due timer at its own instant, in order. */
  advance(ms: number): void;
  /** Like advance, but lets promise chains settle after each timer so they can schedule more. */
  advanceAsync(ms: number): Promise<void>;
  /** Sets the current time (never backwards past a timer already run). */
  set(ms: number): void;
  /** How many timers are waiting. */
  pending(): number;
}

interface ManualTimer {
  id: number;
  due: number;
  callback: () => void;
}

/**
 * A deterministic clock for tests.
 * @example const clock = createManualClock(); clock.advance(30_000)
 */
export function createManualClock(start = Date.parse('2026-01-01T00:00:00.000Z')): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, ManualTimer>();

  const nextDue = (limit: number): ManualTimer | undefined => {
    let best: ManualTimer | undefined;
    for (const t of timers.values()) {
      if (t.due <= limit && (!best || t.due < best.due || (t.due === best.due && t.id < best.id))) best = t;
    }
    return best;
  };

  const clock: ManualClock = {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { id, due: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = now + ms;
      for (let t = nextDue(target); t; t = nextDue(target)) {
        timers.delete(t.id);
        now = Math.max(now, t.due);
        t.callback();
      }
      now = target;
    },
    async advanceAsync(ms) {
      const target = now + ms;
      await settle();
      for (let t = nextDue(target); t; t = nextDue(target)) {
        timers.delete(t.id);
        now = Math.max(now, t.due);
        t.callback();
        await settle();
      }
      now = target;
      await settle();
    },
    set(ms) {
      now = ms;
    },
    pending: () => timers.size,
  };
  return clock;
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits `ms` on the given clock; rejects with the signal's reason when aborted.
 * @example await sleep(systemClock, 100, signal)
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
