import { readJsonPath, type StoredEvent } from '@aetherlink/core';
import type { AlertRule } from '../types.js';

/** How a rule reads events: which it counts and which alert (group) each belongs to. */
export interface RuleMatcher {
  /** Exact type, `prefix.` for a `prefix.*` rule, or null for every type. */
  readonly type: { exact: string } | { prefix: string } | null;
  /** Source and tenant checks (the type is checked by the index). */
  accepts(event: StoredEvent): boolean;
  /** The alert's labels and their canonical key. */
  groupOf(event: StoredEvent): { key: string; labels: Record<string, string> };
  /** Changes exactly when what the rule counts changes (its windows must then be rebuilt). */
  readonly signature: string;
}

const MAX_LABEL = 200;
const UNGROUPED = Object.freeze({ key: '{}', labels: Object.freeze({}) as Record<string, string> });
const ALERT_EVENTS = 'ops.alert.';

const label = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return s.length > MAX_LABEL ? s.slice(0, MAX_LABEL) : s;
};

const labelReader = (key: string): ((e: StoredEvent) => string) => {
  switch (key) {
    case 'source':
      return (e) => e.source;
    case 'tenant':
      return (e) => e.tenantid ?? '';
    case 'event_type':
      return (e) => e.type;
    case 'severity':
      return (e) => e.severity;
    case 'subject':
      return (e) => e.subject ?? '';
    default: {
      const path = key.slice('data.'.length);
      return (e) => {
        const found = readJsonPath(e.data, path);
        return found.found ? label(found.value) : '';
      };
    }
  }
};

/**
 * A rule's matcher. Events of alerting itself (`ops.alert.*`) count only for rules that name them, so a rule over
 * every type cannot feed on its own alerts.
 * @example const m = compileMatcher(rule); if (m.accepts(event)) m.groupOf(event)
 */
export function compileMatcher(rule: AlertRule): RuleMatcher {
  const t = rule.event_type;
  const type: RuleMatcher['type'] = t === null ? null : t.endsWith('.*') ? { prefix: t.slice(0, -1) } : { exact: t };
  const namesAlertEvents =
    type !== null && ('exact' in type ? type.exact.startsWith(ALERT_EVENTS) : ALERT_EVENTS.startsWith(type.prefix) || type.prefix.startsWith(ALERT_EVENTS));
  const { source, tenant } = rule;
  const readers = rule.group_by.map((key) => [key, labelReader(key)] as const);
  return {
    type,
    signature: JSON.stringify([t, source, tenant, rule.window_seconds, rule.group_by]),
    // Most rules filter on nothing but an exact type, which the index (or `matchesType`) has checked already.
    accepts:
      source === null && tenant === null && (namesAlertEvents || (type !== null && 'exact' in type))
        ? () => true
        : (e) => (source === null || e.source === source) && (tenant === null || e.tenantid === tenant) && (namesAlertEvents || !e.type.startsWith(ALERT_EVENTS)),
    groupOf(e) {
      if (readers.length === 0) return UNGROUPED;
      const labels: Record<string, string> = {};
      for (const [key, read] of readers) labels[key] = read(e);
      return { key: JSON.stringify(labels), labels };
    },
  };
}

/**
 * When an event counts: its own time, but never later than when the store received it (a publisher's clock
 * running ahead cannot hold an alert open).
 * @example window.add(eventTime(event))
 */
export function eventTime(e: Pick<StoredEvent, 'time' | 'received_at'>): number {
  const t = Date.parse(e.time);
  // The bus stamps both from one clock reading when the publisher gave no time: one parse then.
  if (e.time === e.received_at) return t;
  const r = Date.parse(e.received_at);
  if (Number.isNaN(t)) return r;
  return Number.isNaN(r) || t <= r ? t : r;
}
