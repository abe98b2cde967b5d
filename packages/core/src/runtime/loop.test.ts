import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import type { LeaderElection } from './leader.js';
import { createLoop } from './loop.js';

/** A leadership we hand out and take back by hand. */
function manualLeader() {
  let elect: ((signal: AbortSignal) => void) | undefined;
  let term: AbortController | undefined;
  const election: LeaderElection = {
    kind: 'manual',
    campaign(_role, onElected) {
      elect = onElected;
      return { isLeader: () => !!term && !term.signal.aborted, stop: async () => term?.abort() };
    },
  };
  return {
    election,
    win() {
      term = new AbortController();
      elect!(term.signal);
    },
    lose() {
      term?.abort();
    },
  };
}

describe('createLoop', () => {
  it('runs a pass at start and then every interval on the injected clock, until stopped', async () => {
    const clock = createManualClock(0);
    const times: number[] = [];
    const loop = createLoop({ name: 'x', intervalMs: 1000, clock, run: () => void times.push(clock.now()) });
    loop.start();
    await clock.advanceAsync(3500);
    expect(times).toEqual([0, 1000, 2000, 3000]);
    expect(loop.active()).toBe(true);
    expect(loop.lastRun()).toBe(3000);
    await loop.stop();
    await clock.advanceAsync(5000);
    expect(times).toHaveLength(4);
    expect(clock.pending()).toBe(0);
  });

  it('never overlaps passes, and survives a failing pass', async () => {
    const clock = createManualClock(0);
    let inFlight = 0;
    let maxInFlight = 0;
    const errors: unknown[] = [];
    let n = 0;
    const loop = createLoop({
      name: 'slow',
      intervalMs: 100,
      clock,
      onError: (e) => errors.push(e),
      run: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (++n === 2) throw new Error('boom');
          await new Promise((r) => setImmediate(r));
        } finally {
          inFlight--;
        }
      },
    });
    loop.start();
    await Promise.all([loop.runNow(), loop.runNow()]);
    await clock.advanceAsync(500);
    expect(maxInFlight).toBe(1);
    expect(errors).toHaveLength(1);
    expect(n).toBeGreaterThan(3);
    await loop.stop();
  });

  it('runs only while this instance leads its role, and resumes when it leads again', async () => {
    const clock = createManualClock(0);
    const leader = manualLeader();
    let runs = 0;
    const loop = createLoop({ name: 'alert-eval', intervalMs: 1000, clock, leader: leader.election, run: () => void runs++ });
    loop.start();
    await clock.advanceAsync(5000);
    expect(runs).toBe(0);
    expect(loop.active()).toBe(false);
    leader.win();
    await clock.advanceAsync(2500);
    expect(runs).toBe(3);
    leader.lose();
    await clock.advanceAsync(5000);
    expect(runs).toBe(3);
    expect(loop.active()).toBe(false);
    leader.win();
    await clock.advanceAsync(10);
    expect(runs).toBe(4);
    await loop.stop();
  });
});
