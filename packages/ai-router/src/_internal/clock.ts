import { systemClock, type Clock } from '@aetherlink/core';

// core's system clock unrefs its timers so forgotten loops never hold a process open. The router's timers
// live only as long as a call (attempt timeouts, retry waits, hedges), and a script awaiting a call that is
// waiting to retry must not exit under it — so with the real clock they are ref'd, as fetch's would be.
const REF_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The clock the router runs calls on: the injected one, or real time with ref'd timers.
 * @example const clock = callClock(options.clock)
 */
export function callClock(clock: Clock | undefined): Clock {
  return clock === undefined || clock === systemClock ? REF_CLOCK : clock;
}
