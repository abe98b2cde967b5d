import { validationError } from '../errors.js';
import { timeParam } from '../stores/shared.js';
import type { Severity, StoredEvent } from './envelope.js';
import { checkTime, parseTime, TIME_RANGE } from './limits.js';

/** Which events a query or a subscription wants. Every field narrows; none means all. */
export interface EventFilter {
  /** Exact types, or a prefix ending in `.*` such as `autoheal.*`. */
  type?: string | readonly string[];
  source?: string;
  severity?: Severity | readonly Severity[];
  tenantid?: string;
  /** ISO 8601: only events whose `time` is at or after it. */
  since?: string;
}

/**
 * Most distinct values one list filter (types, severities) takes. Each count is another query shape a store
 * prepares, so an unbounded list lets one reader grow the server's memory.
 * @example filterValues(q.severity, 'severity') // at most MAX_FILTER_VALUES values
 */
export const MAX_FILTER_VALUES = 16;

/**
 * A list filter's values without repeats, or `validation_failed` naming the field when more than
 * `MAX_FILTER_VALUES` distinct ones are given.
 * @example filterValues(['info', 'info', 'error'], 'severity') // ['info', 'error']
 */
export function filterValues<T extends string>(value: T | readonly T[] | undefined, field: string): T[] {
  const list = [...new Set(asList(value) ?? [])];
  if (list.length > MAX_FILTER_VALUES) {
    throw validationError([{ field, message: `must list at most ${MAX_FILTER_VALUES} distinct values` }], 'the filter is invalid');
  }
  return list;
}

const RELATIVE = /^(\d{1,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The longest window a relative `since` reaches back: 36 500 days. */
const MAX_WINDOW_MS = 36_500 * UNIT_MS.d;
const SINCE_MESSAGE = 'must be an ISO 8601 date-time or a window back from now such as 15m, 1h, 24h, 7d (at most 36500d)';

/**
 * The one reading of a `since` query parameter every route and store shares: an ISO 8601 date-time or date inside
 * `TIME_RANGE`, or a window back from `now` (`15m`, `1h`, `24h`, `7d`, at most 36500d). Returns epoch ms; anything
 * else is `validation_failed` naming `since` in the query.
 * @example parseSince('24h', clock.now()) // now − 24 h
 */
export function parseSince(value: string, now: number): number {
  const relative = RELATIVE.exec(value);
  if (!relative) {
    if (Number.isNaN(parseTime(value))) throw sinceError();
    return checkTime(value, 'since', 'query');
  }
  const ms = now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  if (now - ms > MAX_WINDOW_MS || ms < TIME_RANGE.min || ms > TIME_RANGE.max) throw sinceError();
  return ms;
}

const sinceError = () => validationError([{ field: 'since', message: SINCE_MESSAGE, in: 'query' }], 'the query is invalid');

/** A compiled filter: cheap to call once per event per subscriber. */
export type EventPredicate = (event: StoredEvent) => boolean;

const asList = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/**
 * Compiles a filter into a predicate.
 * @example const match = compileFilter({ type: 'autoheal.*', severity: ['error', 'critical'] })
 */
export function compileFilter(filter: EventFilter = {}): EventPredicate {
  const checks: EventPredicate[] = [];
  const { exact: exactList, prefixes } = splitTypes(filter.type);
  if (exactList.length || prefixes.length) {
    const exact = new Set(exactList);
    checks.push((e) => exact.has(e.type) || prefixes.some((p) => e.type.startsWith(p)));
  }
  if (filter.source !== undefined) {
    const source = filter.source;
    checks.push((e) => e.source === source);
  }
  const severities = filterValues(filter.severity, 'severity');
  if (severities.length) {
    const set = new Set<string>(severities);
    checks.push((e) => set.has(e.severity));
  }
  if (filter.tenantid !== undefined) {
    const tenant = filter.tenantid;
    checks.push((e) => e.tenantid === tenant);
  }
  if (filter.since !== undefined) {
    const since = Date.parse(timeParam(filter.since, 'since'));
    checks.push((e) => Date.parse(e.time) >= since);
  }
  if (checks.length === 0) return () => true;
  return (e) => checks.every((check) => check(e));
}

/**
 * Splits a filter's type list, deduplicated and capped (`filterValues`), into exact names and `prefix.*` prefixes
 * (stores use this to build queries).
 * @example splitTypes(['a.b', 'c.*']) // { exact: ['a.b'], prefixes: ['c.'] }
 */
export function splitTypes(type: EventFilter['type']): { exact: string[]; prefixes: string[] } {
  const list = filterValues(type, 'type');
  return {
    exact: list.filter((t) => !t.endsWith('*')),
    prefixes: list.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1)),
  };
}
