import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';

let h: Harness;
afterEach(() => h?.close());

const why = async (name = 'api') => (await h.healer.service(name))!;
/** Breaks the service and runs rounds until a restart happens; returns how many rounds (seconds) that took. */
async function roundsUntilRestart(name: string, max: number): Promise<number> {
  const before = h.runtime.restarts().length;
  h.set(name, false);
  for (let i = 1; i <= max; i++) {
    await h.round();
    if (h.runtime.restarts().length > before) return i;
  }
  return -1;
}

describe('restart backoff', () => {
  it('restarts at once the first time, then waits 10 s, 20 s, … after each heal, and says until when', async () => {
    h = harness({ policy: { failureThreshold: 1, budget: { restarts: 10, windowMs: 600_000 } } });
    expect(await roundsUntilRestart('api', 3)).toBe(1);
    // Healed during that round; broken again at once: the second restart waits the 10 s backoff.
    expect(await roundsUntilRestart('api', 1)).toBe(-1);
    expect((await why()).decision).toMatchObject({ reason: 'backoff', until: expect.any(String) });
    const until = Date.parse((await why()).decision.until!);
    const heal1 = (await h.healer.history({ limit: 1 })).history[0]!;
    expect(until - (Date.parse(heal1.started_at!) + heal1.duration_ms!)).toBe(10_000);
    expect(await roundsUntilRestart('api', 15)).toBeGreaterThan(7);
    const [second] = (await h.healer.history({ limit: 1 })).history;
    expect(second).toMatchObject({ attempt: 2, delay_ms: 10_000 });
    await roundsUntilRestart('api', 30);
    expect((await h.healer.history({ limit: 1 })).history[0]).toMatchObject({ attempt: 3, delay_ms: 20_000 });
    expect((await why()).backoff).toMatchObject({ attempt: 3, next_delay_ms: 40_000 });
  });

  it('spreads each delay by the jitter drawn from random()', async () => {
    h = harness({ policy: { failureThreshold: 1 }, random: () => 1 });
    await roundsUntilRestart('api', 2);
    expect((await why()).backoff.next_delay_ms).toBe(11_000);
  });

  it('resets after being healthy for resetAfterMs: the next failure restarts at once, as attempt 1', async () => {
    h = harness({ policy: { failureThreshold: 1, backoff: { resetAfterMs: 60_000 } } });
    await roundsUntilRestart('api', 2);
    for (let i = 0; i < 30; i++) await h.round();
    expect((await why()).backoff.attempt).toBe(1);
    for (let i = 0; i < 31; i++) await h.round();
    expect((await why()).backoff).toEqual({ attempt: 0, next_delay_ms: 0, next_restart_at: null });
    expect(await roundsUntilRestart('api', 1)).toBe(1);
    expect((await h.healer.history({ limit: 1 })).history[0]).toMatchObject({ attempt: 1, delay_ms: 0 });
  });
});

describe('restart budget and quarantine', () => {
  it('quarantines a service that used up its budget, restarts it no more, and releases it once it stays healthy', async () => {
    h = harness({ policy: { failureThreshold: 1, backoff: { initialMs: 1000, maxMs: 1000, jitter: 0 }, budget: { restarts: 3, windowMs: 600_000 }, releaseAfterMs: 20_000 } });
    for (let i = 0; i < 3; i++) expect(await roundsUntilRestart('api', 5)).toBeGreaterThan(0);
    expect(await roundsUntilRestart('api', 10)).toBe(-1);
    expect(h.runtime.restarts()).toHaveLength(3);
    expect(await why()).toMatchObject({ state: 'quarantined', quarantine: { reason: 'budget' }, budget: { used: 3, limit: 3 } });
    const quarantined = h.events.filter((e) => e.type === 'autoheal.quarantined');
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ severity: 'critical', data: { service: 'api', reason: 'budget', restarts: 3, window_seconds: 600 } });
    expect((await h.healer.stats()).quarantined).toEqual([{ service: 'api', since: expect.any(String), reason: 'budget' }]);
    // It comes back by itself; the quarantine lifts after 20 s of passing.
    h.set('api', true);
    for (let i = 0; i < 19; i++) await h.round();
    expect((await why()).quarantine).not.toBeNull();
    expect((await why()).decision).toMatchObject({ reason: 'quarantined', until: expect.any(String) });
    await h.round();
    await h.round();
    expect((await why()).quarantine).toBeNull();
    expect(h.events.filter((e) => e.type === 'autoheal.released').map((e) => e.data)).toEqual([{ service: 'api', by: 'healthy' }]);
    expect((await why()).budget.used).toBe(0);
    expect(await roundsUntilRestart('api', 2)).toBe(1);
  });

  it('an operator releases a quarantined service at once; its budget starts over', async () => {
    h = harness({ policy: { failureThreshold: 1, backoff: { initialMs: 1000, maxMs: 1000, jitter: 0 }, budget: { restarts: 1, windowMs: 600_000 } } });
    await roundsUntilRestart('api', 2);
    await roundsUntilRestart('api', 5);
    expect((await why()).quarantine).toMatchObject({ reason: 'budget' });
    await h.healer.release('api', 'alice');
    expect(h.events.at(-1)).toMatchObject({ type: 'autoheal.released', data: { service: 'api', by: 'alice' } });
    expect(await roundsUntilRestart('api', 2)).toBe(1);
    await expect(h.healer.release('api', 'alice')).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.healer.release('nope', 'alice')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('an operator quarantine holds until an operator releases it, however healthy the service is', async () => {
    h = harness({ policy: { failureThreshold: 1, releaseAfterMs: 1000 } });
    await h.round();
    await h.healer.quarantine('api', 'bob', 'leak hunt');
    for (let i = 0; i < 5; i++) await h.round();
    expect(await why()).toMatchObject({ status: 'ok', state: 'quarantined' });
    expect(await roundsUntilRestart('api', 3)).toBe(-1);
    expect(await why()).toMatchObject({ state: 'quarantined', quarantine: { reason: 'operator', by: 'bob', message: 'leak hunt' }, decision: { reason: 'quarantined' } });
  });
});

describe('flapping', () => {
  it('quarantines a service that keeps changing state, without restarting it in a loop, with hysteresis', async () => {
    h = harness({ policy: { failureThreshold: 2, flapping: { window: 11, high: 0.5, low: 0.2 }, releaseAfterMs: 3000 } });
    await h.round();
    // Fails, passes, fails …: never two failures in a row, so the threshold is never reached.
    for (let i = 0; i < 12 && !(await why()).flapping.flapping; i++) {
      h.set('api', i % 2 === 0);
      await h.round();
    }
    expect(await why()).toMatchObject({ flapping: { flapping: true }, quarantine: { reason: 'flapping' } });
    expect(h.runtime.restarts()).toEqual([]);
    expect(h.events.find((e) => e.type === 'autoheal.quarantined')?.data).toMatchObject({ reason: 'flapping' });
    // Steady for a while: the rate falls, but flapping holds until it reaches `low` (hysteresis).
    h.set('api', true);
    const rates: [number, boolean][] = [];
    for (let i = 0; i < 10; i++) {
      await h.round();
      const w = await why();
      rates.push([w.flapping.change_rate, w.flapping.flapping]);
    }
    expect(rates.some(([rate, flapping]) => flapping && rate < 0.5)).toBe(true);
    expect(rates.at(-1)).toEqual([expect.any(Number), false]);
    for (let i = 0; i < 4; i++) await h.round();
    expect((await why()).quarantine).toBeNull();
  });
});
