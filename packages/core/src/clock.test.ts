import { describe, expect, it } from 'vitest';
import { createManualClock, sleep } from './clock.js';

describe('createManualClock', () => {
  it('runs due timers in order, each at its own time', () => {
    const clock = createManualClock(0);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    const c = clock.setTimeout(() => log.push('c'), 15);
    clock.clearTimeout(c);
    clock.advance(15);
    expect(log).toEqual(['a@10']);
    clock.advance(100);
    expect(log).toEqual(['a@10', 'b@20']);
    expect(clock.now()).toBe(115);
    expect(clock.pending()).toBe(0);
  });

  it('lets promise chains schedule further timers with advanceAsync', async () => {
    const clock = createManualClock(0);
    const log: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(clock, 1000);
        log.push(clock.now());
      }
    };
    const done = loop();
    await clock.advanceAsync(5000);
    await done;
    expect(log).toEqual([1000, 2000, 3000]);
  });

  it('sleep rejects when aborted', async () => {
    const clock = createManualClock(0);
    const ac = new AbortController();
    const p = sleep(clock, 1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending()).toBe(0);
  });
});
