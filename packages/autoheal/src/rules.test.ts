import { describe, expect, it } from 'vitest';
import { planRound } from './plan.js';
import { DEFAULT_POLICY, resolvePolicy } from './policy.js';
import { backoffDelay, changeRate, isFlapping, pushResult } from './rules.js';

describe('backoff', () => {
  it('waits nothing before the first restart, then 10 s doubling to 300 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 9].map((n) => backoffDelay(n, DEFAULT_POLICY.backoff, mid))).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('spreads each delay by ± jitter', () => {
    expect(backoffDelay(1, DEFAULT_POLICY.backoff, () => 0)).toBe(9000);
    expect(backoffDelay(1, DEFAULT_POLICY.backoff, () => 1)).toBe(11_000);
    expect(backoffDelay(7, DEFAULT_POLICY.backoff, () => 1)).toBe(330_000);
  });
});

describe('flapping', () => {
  it('keeps the last results of the window and rates their changes over a full window', () => {
    expect(pushResult('PPPP', false, 4)).toBe('PPPF');
    // A steady run is one result: its length changes no rate, and the stored state stops changing.
    expect(pushResult('PPP', true, 21)).toBe('P');
    expect(pushResult('P', false, 21)).toBe('PF');
    expect(changeRate('PFPF', 21)).toBe(3 / 20);
    expect(changeRate('P'.repeat(21), 21)).toBe(0);
    expect(changeRate('PF'.repeat(10) + 'P', 21)).toBe(1);
  });

  it('starts at high and stops only at low', () => {
    const f = { window: 21, high: 0.5, low: 0.3 };
    expect(isFlapping(false, 0.45, f)).toBe(false);
    expect(isFlapping(false, 0.5, f)).toBe(true);
    expect(isFlapping(true, 0.35, f)).toBe(true);
    expect(isFlapping(true, 0.3, f)).toBe(false);
  });
});

describe('planRound', () => {
  const policy = resolvePolicy({ caps: { concurrentRestarts: 2, restartsPerMinute: 3 } });
  const now = Date.parse('2026-01-01T00:10:00Z');
  const due = (n: number) => Array.from({ length: n }, (_, i) => ({ service: `s${i}`, order: n - i, failingSince: null }));

  it('starts dependencies first, up to the free concurrency', () => {
    const plan = planRound({ now, policy, due: due(3), fleet: 100, failing: 3, inFlight: 0, recentRestarts: [] });
    expect(plan.start).toEqual(['s2', 's1']);
    expect(plan.held).toEqual([{ service: 's0', reason: 'concurrency_cap', message: expect.any(String) }]);
  });

  it('counts restarts of the last minute against the rate cap', () => {
    const recent = ['2026-01-01T00:09:30Z', '2026-01-01T00:09:50Z', '2026-01-01T00:08:00Z'];
    const plan = planRound({ now, policy, due: due(2), fleet: 100, failing: 2, inFlight: 0, recentRestarts: recent });
    expect(plan.start).toEqual(['s1']);
    expect(plan.held.map((h) => h.reason)).toEqual(['rate_cap']);
  });

  it('trips the fleet guard over the share, never under minFailing', () => {
    expect(planRound({ now, policy, due: due(3), fleet: 20, failing: 4, inFlight: 0, recentRestarts: [] })).toMatchObject({ fleetGuard: true, start: [] });
    expect(planRound({ now, policy, due: due(3), fleet: 20, failing: 3, inFlight: 0, recentRestarts: [] }).fleetGuard).toBe(false);
    expect(planRound({ now, policy, due: due(2), fleet: 4, failing: 2, inFlight: 0, recentRestarts: [] }).fleetGuard).toBe(false);
  });
});

describe('resolvePolicy', () => {
  it('fills the defaults, and the verify interval follows a short round interval', () => {
    expect(resolvePolicy({ intervalMs: 1000 })).toMatchObject({ intervalMs: 1000, verifyIntervalMs: 1000, failureThreshold: 3, budget: { restarts: 3, windowMs: 600_000 } });
  });

  it('names a bad value', () => {
    expect(() => resolvePolicy({ failureThreshold: 0, backoff: { maxMs: -1 }, flapping: { low: 0.9 } })).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        errors: expect.arrayContaining([
          expect.objectContaining({ field: 'policy.failureThreshold' }),
          expect.objectContaining({ field: 'policy.backoff.maxMs' }),
        ]),
      }),
    );
    expect(() => resolvePolicy({ flapping: { low: 0.9 } })).toThrow(/policy.flapping.low: must not be above flapping.high/);
  });
});
