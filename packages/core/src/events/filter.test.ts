import { describe, expect, it } from 'vitest';
import { isAetherError, type FieldError } from '../errors.js';
import { compileFilter, filterValues, MAX_FILTER_VALUES, parseSince, splitTypes } from './filter.js';

const refusal = (fn: () => unknown): FieldError[] | undefined => {
  try {
    fn();
  } catch (error) {
    if (isAetherError(error) && error.code === 'validation_failed') return error.errors;
    throw error;
  }
  throw new Error('expected a validation error');
};

describe('list filters', () => {
  it('drops repeated values', () => {
    expect(filterValues(Array.from({ length: 2000 }, () => 'info'), 'severity')).toEqual(['info']);
    expect(splitTypes(['a.b', 'c.*', 'a.b', 'c.*'])).toEqual({ exact: ['a.b'], prefixes: ['c.'] });
    expect(filterValues(undefined, 'severity')).toEqual([]);
    expect(filterValues('error', 'severity')).toEqual(['error']);
  });

  it(`takes at most ${MAX_FILTER_VALUES} distinct values, naming the field beyond`, () => {
    const types = Array.from({ length: MAX_FILTER_VALUES }, (_, i) => `t.n${i}`);
    expect(splitTypes([...types, ...types]).exact).toHaveLength(MAX_FILTER_VALUES);
    expect(refusal(() => splitTypes([...types, 'one.more']))).toEqual([{ field: 'type', message: `must list at most ${MAX_FILTER_VALUES} distinct values` }]);
    expect(refusal(() => compileFilter({ type: [...types, 'one.more'] }))?.[0]?.field).toBe('type');
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-03-01T12:00:00.000Z');

  it('reads a window back from now', () => {
    expect(parseSince('15m', now)).toBe(now - 15 * 60_000);
    expect(parseSince('1h', now)).toBe(now - 3_600_000);
    expect(parseSince('24h', now)).toBe(now - 86_400_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('30s', now)).toBe(now - 30_000);
    expect(parseSince('36500d', now)).toBe(now - 36_500 * 86_400_000);
  });

  it('reads ISO 8601 date-times and dates, UTC when no offset is given', () => {
    expect(parseSince('2026-01-02T03:04:05.678Z', now)).toBe(Date.parse('2026-01-02T03:04:05.678Z'));
    expect(parseSince('2026-01-02T03:04:05', now)).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(parseSince('2026-01-02T03:04:05+02:00', now)).toBe(Date.parse('2026-01-02T01:04:05Z'));
    expect(parseSince('2026-01-02', now)).toBe(Date.parse('2026-01-02T00:00:00Z'));
  });

  it('refuses anything else with since named in the query', () => {
    const refused = ['1', '2024', 'Tue, 1 Nov 2022 10:00:00 +0100', 'May 5 2024', 'yesterday', '999999d', '36501d', '7w', '-1h', '1.5h', '', '0000-01-01T00:00:00Z', '2026-02-30'];
    for (const since of refused) {
      const errors = refusal(() => parseSince(since, now));
      expect(errors, since).toHaveLength(1);
      expect(errors?.[0], since).toMatchObject({ field: 'since', in: 'query' });
    }
  });
});
