import { describe, expect, it } from 'vitest';
import { checkStorableEvent, parseTime } from './events/limits.js';
import { cachedIsoMs, isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('writes what toISOString writes, within a cached second and across seconds', () => {
    const base = Date.UTC(2026, 11, 1, 5, 30, 12);
    const times = [base, base + 7, base + 42, base + 999, base + 1000, base + 1005, base - 1, base + 3_600_000 + 120, base + 0.9, base + 500.5];
    for (const t of [...times, ...times.reverse()]) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });

  it('covers the epoch, times before it, early and late years, and years of another width', () => {
    const times = [0, -0, -1, -999, -1000, -1001, -1.5, Date.UTC(1, 0, 1), Date.UTC(999, 5, 6, 7, 8, 9, 10), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1, 0, 0, 0, 5)];
    for (const t of times) {
      expect(isoTime(t)).toBe(new Date(t).toISOString());
      expect(isoTime(t + 3)).toBe(new Date(t + 3).toISOString());
    }
  });

  it('refuses an invalid time as toISOString does', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });

  it('reads back the times of its cached second, and nothing else', () => {
    const t = Date.UTC(2026, 11, 1, 5, 30, 12, 345);
    const iso = isoTime(t);
    expect(cachedIsoMs(iso)).toBe(t);
    expect(cachedIsoMs(iso.replace('.345Z', '.007Z'))).toBe(t - 338);
    expect(cachedIsoMs(iso.replace('.345Z', '.3a5Z'))).toBeUndefined();
    expect(cachedIsoMs(iso.replace('Z', '+'))).toBeUndefined();
    expect(cachedIsoMs(iso.replace('12.', '13.'))).toBeUndefined();
    expect(cachedIsoMs(`${iso}0`)).toBeUndefined();
  });

  it('leaves parseTime reading every time as before', () => {
    const t = Date.UTC(2026, 11, 1, 5, 30, 12, 345);
    const iso = isoTime(t);
    for (const value of [iso, iso.replace('Z', '+02:00'), iso.slice(0, 23), iso.replace('.345Z', '.3456Z'), '2026-12-01', 'nope', iso.replace('.345Z', '.99xZ')]) {
      const ms = value.endsWith('+02:00') ? Date.parse(value) : Date.parse(/Z$|^\d{4}-\d\d-\d\d$/.test(value) ? value : `${value}Z`);
      expect(parseTime(value)).toEqual(ms);
    }
  });
});

describe('checkStorableEvent on times isoTime wrote', () => {
  it('still refuses year 0000, which isoTime formats at the usual width', () => {
    const year0 = Date.parse('0000-06-01T00:00:00.000Z');
    const iso = isoTime(year0);
    expect(iso).toBe('0000-06-01T00:00:00.000Z');
    expect(() => checkStorableEvent({ time: iso, data: null })).toThrow(/between 0001-01-01/);
    expect(() => checkStorableEvent({ time: isoTime(Date.UTC(2026, 0, 1)), data: null })).not.toThrow();
  });
});
