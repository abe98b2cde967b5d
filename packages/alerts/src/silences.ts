import type { Severity } from '@aetherlink/core';
import type { RecurringWindow, Silence, Weekday } from './types.js';

// Pure: whether a silence is in force at an instant, and whether it covers an alert.

/** What a silence is matched against: the alert's rule, its labels (or the rule's filters), its severity. */
export interface SilenceTarget {
  rule_id: string;
  rule_name: string;
  source: string | null;
  tenant: string | null;
  severity: Severity;
}

const WEEKDAYS: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };
const formats = new Map<string, Intl.DateTimeFormat>();

function localParts(ms: number, timeZone: string): { weekday: Weekday; minutes: number } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, format);
  }
  let weekday: Weekday = 'mon';
  let hour = 0;
  let minute = 0;
  for (const part of format.formatToParts(ms)) {
    if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 'mon';
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minutes: hour * 60 + minute };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * True when `ms` falls in a recurring window: on a listed weekday (local to its time zone) and inside one of its
 * `HH:MM` ranges (end exclusive; an end before the start covers that day's evening and early morning).
 * @example inRecurringWindow({ weekdays: ['sat', 'sun'], times: [], timezone: 'UTC' }, Date.parse('2026-01-03T10:00:00Z')) // true
 */
export function inRecurringWindow(window: RecurringWindow, ms: number): boolean {
  const { weekday, minutes } = localParts(ms, window.timezone);
  if (window.weekdays.length > 0 && !window.weekdays.includes(weekday)) return false;
  if (window.times.length === 0) return true;
  return window.times.some(({ start, end }) => {
    const a = minutesOf(start);
    const b = minutesOf(end);
    return a < b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
  });
}

/**
 * True while a silence is in force: between its start and end, and inside its recurring window when it has one.
 * @example silenceActive(silence, clock.now())
 */
export function silenceActive(silence: Silence, ms: number): boolean {
  if (ms < Date.parse(silence.starts_at)) return false;
  if (silence.ends_at !== null && ms >= Date.parse(silence.ends_at)) return false;
  return silence.recurring === null || inRecurringWindow(silence.recurring, ms);
}

/**
 * True when every matcher of the silence equals the alert's (`rule` matches the rule's id or name).
 * @example silenceMatches(silence, { rule_id, rule_name: 'api-errors', source: 'billing', tenant: null, severity: 'error' })
 */
export function silenceMatches(silence: Silence, target: SilenceTarget): boolean {
  const m = silence.matchers;
  if (m.rule !== undefined && m.rule !== target.rule_id && m.rule !== target.rule_name) return false;
  if (m.source !== undefined && m.source !== target.source) return false;
  if (m.tenant !== undefined && m.tenant !== target.tenant) return false;
  if (m.severity !== undefined && m.severity !== target.severity) return false;
  return true;
}

/**
 * The id of the first silence in force that covers the alert, or null.
 * @example const silence = silencedBy(silences, target, now)
 */
export function silencedBy(silences: readonly { id: string; data: Silence }[], target: SilenceTarget, ms: number): string | null {
  for (const s of silences) if (silenceMatches(s.data, target) && silenceActive(s.data, ms)) return s.id;
  return null;
}
