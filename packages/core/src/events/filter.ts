import { timeParam } from '../stores/shared.js';
import type { Severity, StoredEvent } from './envelope.js';

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
  const types = asList(filter.type);
  if (types?.length) {
    const exact = new Set(types.filter((t) => !t.endsWith('*')));
    const prefixes = types.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
    checks.push((e) => exact.has(e.type) || prefixes.some((p) => e.type.startsWith(p)));
  }
  if (filter.source !== undefined) {
    const source = filter.source;
    checks.push((e) => e.source === source);
  }
  const severities = asList(filter.severity);
  if (severities?.length) {
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
 * Splits a filter's type list into exact names and `prefix.*` prefixes (stores use this to build queries).
 * @example splitTypes(['a.b', 'c.*']) // { exact: ['a.b'], prefixes: ['c.'] }
 */
export function splitTypes(type: EventFilter['type']): { exact: string[]; prefixes: string[] } {
  const list = asList(type) ?? [];
  return {
    exact: list.filter((t) => !t.endsWith('*')),
    prefixes: list.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1)),
  };
}
