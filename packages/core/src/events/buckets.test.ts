import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { isAetherError } from '../errors.js';
import { bucketIndex, MAX_BUCKETS, parseBucket, planBuckets, seriesFrom } from './buckets.js';
import { createEventBus } from './bus.js';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (isAetherError(e)) return e.errors?.map((x) => x.field);
    throw e;
  }
  throw new Error('expected an error');
};

const T = (iso: string) => Date.parse(iso);

describe('bucketed event stats', () => {
  it('reads bucket lengths and refuses anything else, naming bucket', () => {
    expect([parseBucket('30s'), parseBucket('1m'), parseBucket('5m'), parseBucket('1h'), parseBucket('1d')]).toEqual([30_000, 60_000, 300_000, 3_600_000, 86_400_000]);
    for (const bad of ['0s', '500ms', '1', 'm', '1w', '-1m', ' 1m', '1234567m']) expect(fieldsOf(() => parseBucket(bad)), bad).toEqual(['bucket']);
  });

  it('plans whole epoch-aligned buckets from the one holding since to the one holding now', () => {
    const plan = planBuckets(60_000, T('2026-01-01T00:00:30Z'), T('2026-01-01T00:02:10Z'));
    expect(plan).toEqual({ from: T('2026-01-01T00:00:00Z'), bucketMs: 60_000, count: 3 });
    expect(planBuckets(60_000, T('2026-01-01T00:01:00Z'), T('2026-01-01T00:01:00Z')).count).toBe(1);
    // A day by the minute fits; a day by 30 s does not, and the error says which field to change.
    expect(planBuckets(60_000, T('2026-01-01T00:00:00Z') - 86_400_000, T('2026-01-01T00:00:00Z')).count).toBe(1441);
    expect(fieldsOf(() => planBuckets(30_000, T('2026-01-01T00:00:00Z') - 86_400_000, T('2026-01-01T00:00:00Z')))).toEqual(['bucket']);
    expect(fieldsOf(() => planBuckets(60_000, T('2026-01-01T00:05:00Z'), T('2026-01-01T00:00:00Z')))).toEqual(['since']);
    expect(MAX_BUCKETS).toBeGreaterThanOrEqual(1441);
  });

  it('places times in buckets with half-open bounds', () => {
    const q = { from: 0, bucketMs: 60_000, count: 2 };
    expect([-1, 0, 59_999, 60_000, 119_999, 120_000].map((t) => bucketIndex(q, t))).toEqual([-1, 0, 0, 1, 1, -1]);
  });

  it('fills every bucket of the plan, zeros included, oldest first', () => {
    const plan = { from: T('2026-01-01T00:00:00Z'), bucketMs: 60_000, count: 3 };
    const series = seriesFrom('1m', plan, [
      { bucket: 2, severity: 'error', n: 4 },
      { bucket: 0, severity: 'info', n: 1 },
    ]);
    expect(series).toEqual({
      bucket: '1m',
      bucket_ms: 60_000,
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-01T00:03:00.000Z',
      buckets: [
        { start: '2026-01-01T00:00:00.000Z', info: 1, warning: 0, error: 0, critical: 0 },
        { start: '2026-01-01T00:01:00.000Z', info: 0, warning: 0, error: 0, critical: 0 },
        { start: '2026-01-01T00:02:00.000Z', info: 0, warning: 0, error: 4, critical: 0 },
      ],
    });
  });

  it('gives the bus a series counted by its store, on its clock', async () => {
    const clock = createManualClock(T('2026-01-01T01:00:20Z'));
    const bus = createEventBus({ clock });
    const publish = (ago: number, severity: 'info' | 'error') => bus.publish({ type: 'a.b', source: 't', severity, time: new Date(clock.now() - ago).toISOString() });
    await publish(10_000, 'error'); // 01:00:10, the current bucket
    await publish(70_000, 'info'); // 00:59:10
    await publish(75_000, 'info');
    await publish(20 * 60_000, 'error'); // outside a 15 m window
    const series = await bus.series({ bucket: '1m', since: '15m' });
    expect(series.buckets).toHaveLength(16);
    expect(series.since).toBe('2026-01-01T00:45:00.000Z');
    expect(series.buckets.filter((b) => b.info + b.error > 0)).toEqual([
      { start: '2026-01-01T00:59:00.000Z', info: 2, warning: 0, error: 0, critical: 0 },
      { start: '2026-01-01T01:00:00.000Z', info: 0, warning: 0, error: 1, critical: 0 },
    ]);
    await expect(bus.series({ bucket: '1m', since: 'yesterday' })).rejects.toMatchObject({ code: 'validation_failed', errors: [{ field: 'since' }] });
  });
});
