import { describe, expect, it } from 'vitest';
import { inRecurringWindow, silenceActive, silencedBy, silenceMatches } from './silences.js';
import type { Silence } from './types.js';

const silence = (over: Partial<Silence> = {}): Silence => ({
  matchers: { rule: 'api-errors' },
  starts_at: '2026-01-01T00:00:00.000Z',
  ends_at: '2026-01-02T00:00:00.000Z',
  recurring: null,
  comment: null,
  created_by: null,
  ...over,
});
const target = { rule_id: 'r1', rule_name: 'api-errors', source: 'billing', tenant: 'acme', severity: 'error' as const };

describe('silences', () => {
  it('are in force from starts_at until ends_at (exclusive)', () => {
    const s = silence();
    expect(silenceActive(s, Date.parse('2025-12-31T23:59:59.999Z'))).toBe(false);
    expect(silenceActive(s, Date.parse('2026-01-01T00:00:00.000Z'))).toBe(true);
    expect(silenceActive(s, Date.parse('2026-01-02T00:00:00.000Z'))).toBe(false);
  });

  it('match when every matcher equals: rule by id or name, source, tenant, severity', () => {
    expect(silenceMatches(silence(), target)).toBe(true);
    expect(silenceMatches(silence({ matchers: { rule: 'r1' } }), target)).toBe(true);
    expect(silenceMatches(silence({ matchers: { rule: 'r2' } }), target)).toBe(false);
    expect(silenceMatches(silence({ matchers: { source: 'billing', tenant: 'acme', severity: 'error' } }), target)).toBe(true);
    expect(silenceMatches(silence({ matchers: { source: 'billing', severity: 'critical' } }), target)).toBe(false);
    expect(silenceMatches(silence({ matchers: { tenant: 'other' } }), target)).toBe(false);
  });

  it('recur on weekdays and local times in a time zone, overnight ranges included', () => {
    const nights = { weekdays: [], times: [{ start: '22:00', end: '06:00' }], timezone: 'Europe/Berlin' };
    // 21:30 UTC is 22:30 in Berlin (winter, UTC+1); 05:30 UTC is 06:30.
    expect(inRecurringWindow(nights, Date.parse('2026-01-05T21:30:00Z'))).toBe(true);
    expect(inRecurringWindow(nights, Date.parse('2026-01-05T04:30:00Z'))).toBe(true);
    expect(inRecurringWindow(nights, Date.parse('2026-01-05T05:30:00Z'))).toBe(false);
    const weekend = { weekdays: ['sat' as const, 'sun' as const], times: [], timezone: 'UTC' };
    expect(inRecurringWindow(weekend, Date.parse('2026-01-03T12:00:00Z'))).toBe(true);
    expect(inRecurringWindow(weekend, Date.parse('2026-01-05T12:00:00Z'))).toBe(false);
    const open = silence({ ends_at: null, recurring: { weekdays: ['mon'], times: [{ start: '09:00', end: '10:00' }], timezone: 'UTC' } });
    expect(silenceActive(open, Date.parse('2026-03-02T09:30:00Z'))).toBe(true);
    expect(silenceActive(open, Date.parse('2026-03-02T10:00:00Z'))).toBe(false);
    expect(silenceActive(open, Date.parse('2026-03-03T09:30:00Z'))).toBe(false);
  });

  it('name the first silence in force that covers an alert', () => {
    const list = [
      { id: 'expired', data: silence({ ends_at: '2026-01-01T00:00:01.000Z' }) },
      { id: 'other', data: silence({ matchers: { source: 'search' } }) },
      { id: 'mine', data: silence() },
    ];
    expect(silencedBy(list, target, Date.parse('2026-01-01T12:00:00Z'))).toBe('mine');
    expect(silencedBy(list, target, Date.parse('2026-01-03T00:00:00Z'))).toBeNull();
  });
});
