import type { StoredEvent } from '@aetherlink/core';
import type { AlertRule } from '../types.js';
import { compileMatcher, eventTime, type RuleMatcher } from './matcher.js';
import { SlidingWindow } from './window.js';

/** One alert's count now. */
export interface GroupCount {
  key: string;
  labels: Record<string, string>;
  count: number;
}

interface Entry {
  rule: AlertRule;
  matcher: RuleMatcher;
  groups: Map<string, { labels: Record<string, string>; window: SlidingWindow }>;
  /** Being rebuilt from the store: live events wait in the backfill buffer. */
  paused: boolean;
  overflowed: boolean;
  /** An ungrouped rule's one window, while it holds events. */
  only: SlidingWindow | null;
}

/** Where a group that would pass the limit is counted instead. */
export const OVERFLOW_LABEL = '(other)';

/** How far back (ms) a rebuild remembers what it read, to drop live events it already counted. */
const DEDUPE_MARGIN_MS = 120_000;

/**
 * Every enabled rule's sliding windows, one per group, counted as events arrive: an index by event type finds the
 * few rules an event concerns, so a publish costs a map lookup plus one increment per matching rule, and a tick
 * reads counts without querying the store.
 * @example const w = new RuleWindows(); w.sync(rules); bus.subscribe({}, (e) => w.observe(e)); w.groups(rule.id, now)
 */
export class RuleWindows {
  private entries = new Map<string, Entry>();
  private byType = new Map<string, Entry[]>();
  private prefixed: Entry[] = [];
  private any: Entry[] = [];
  private buffer: StoredEvent[] | null = null;
  private recent: Set<number> | null = null;
  private backfillStartedAt = 0;

  constructor(private readonly options: { maxGroupsPerRule?: number; onOverflow?: (rule: AlertRule) => void } = {}) {}

  /**
   * Takes the current set of evaluable rules. Returns those whose windows are new or must be rebuilt (what they
   * count changed), already paused for `backfill` (live events for them wait until `endBackfill`); windows of rules
   * no longer present are dropped.
   */
  sync(rules: readonly AlertRule[], now: number): AlertRule[] {
    const stale: AlertRule[] = [];
    const next = new Map<string, Entry>();
    for (const rule of rules) {
      const matcher = compileMatcher(rule);
      const old = this.entries.get(rule.id);
      if (old && old.matcher.signature === matcher.signature) {
        old.rule = rule;
        next.set(rule.id, old);
      } else {
        next.set(rule.id, { rule, matcher, groups: new Map(), paused: true, overflowed: false, only: null });
        stale.push(rule);
      }
    }
    this.entries = next;
    this.byType = new Map();
    this.prefixed = [];
    this.any = [];
    for (const entry of next.values()) {
      const type = entry.matcher.type;
      if (type === null) this.any.push(entry);
      else if ('prefix' in type) this.prefixed.push(entry);
      else {
        const list = this.byType.get(type.exact);
        if (list) list.push(entry);
        else this.byType.set(type.exact, [entry]);
      }
    }
    if (stale.length > 0) {
      this.buffer ??= [];
      this.recent ??= new Set();
      this.backfillStartedAt = now;
    }
    return stale;
  }

  /** Counts a live event into every rule it matches (rules being rebuilt get it after their rebuild). */
  observe(event: StoredEvent): void {
    const exact = this.byType.get(event.type);
    if (exact !== undefined) for (let i = 0; i < exact.length; i++) this.visit(exact[i]!, event);
    for (let i = 0; i < this.prefixed.length; i++) {
      const entry = this.prefixed[i]!;
      if (event.type.startsWith((entry.matcher.type as { prefix: string }).prefix)) this.visit(entry, event);
    }
    for (let i = 0; i < this.any.length; i++) this.visit(this.any[i]!, event);
    this.seenEvent = undefined;
  }

  // The event being observed: its time (parsed once) and whether it already waits in the backfill buffer.
  private seenEvent: StoredEvent | undefined;
  private seenT = 0;
  private seenBuffered = false;

  private visit(entry: Entry, event: StoredEvent): void {
    if (!entry.matcher.accepts(event)) return;
    if (this.seenEvent !== event) {
      this.seenEvent = event;
      this.seenT = eventTime(event);
      this.seenBuffered = false;
    }
    if (entry.paused) {
      if (!this.seenBuffered) this.buffer?.push(event);
      this.seenBuffered = true;
      return;
    }
    this.add(entry, event, this.seenT);
  }

  /** Counts a stored event into the rules being rebuilt. */
  backfill(event: StoredEvent): void {
    const t = eventTime(event);
    if (Date.parse(event.received_at) >= this.backfillStartedAt - DEDUPE_MARGIN_MS) this.recent?.add(event.seq);
    for (const entry of this.entries.values()) {
      if (!entry.paused || !matchesType(entry.matcher, event.type) || !entry.matcher.accepts(event)) continue;
      this.add(entry, event, t);
    }
  }

  /** Ends a rebuild: live events that arrived meanwhile and that it did not read are counted too. */
  endBackfill(): void {
    const buffer = this.buffer ?? [];
    const recent = this.recent ?? new Set<number>();
    this.buffer = null;
    this.recent = null;
    for (const event of buffer) {
      if (recent.has(event.seq)) continue;
      for (const entry of this.entries.values()) {
        if (entry.paused && matchesType(entry.matcher, event.type) && entry.matcher.accepts(event)) this.add(entry, event, eventTime(event));
      }
    }
    for (const entry of this.entries.values()) entry.paused = false;
  }

  /** The rule's groups with a count above zero at `now` (emptied groups are forgotten). */
  groups(ruleId: string, now: number): GroupCount[] {
    const entry = this.entries.get(ruleId);
    if (!entry) return [];
    const out: GroupCount[] = [];
    for (const [key, g] of entry.groups) {
      const count = g.window.count(now);
      if (count === 0) {
        entry.groups.delete(key);
        if (entry.only === g.window) entry.only = null;
      }
      else out.push({ key, labels: g.labels, count });
    }
    return out;
  }

  /** The count of one group at `now` (0 when nothing is counted). */
  count(ruleId: string, key: string, now: number): number {
    return this.entries.get(ruleId)?.groups.get(key)?.window.count(now) ?? 0;
  }

  /** Drops these rules' windows, so the next `sync` reports them stale again. */
  forget(ruleIds: readonly string[]): void {
    for (const id of ruleIds) this.entries.delete(id);
  }

  /** Rules and groups held now. */
  size(): { rules: number; groups: number } {
    let groups = 0;
    for (const e of this.entries.values()) groups += e.groups.size;
    return { rules: this.entries.size, groups };
  }

  clear(): void {
    this.sync([], 0);
    this.buffer = null;
    this.recent = null;
  }

  /** Counts one already-matched event of a rule's group at `t` (the backtest feeds its replay this way). */
  addAt(ruleId: string, alert: { key: string; labels: Record<string, string> }, t: number): void {
    const entry = this.entries.get(ruleId);
    if (entry) this.addGroup(entry, alert.key, alert.labels, t);
  }

  private add(entry: Entry, event: StoredEvent, t: number): void {
    // An ungrouped rule has one window: no group key to build or look up.
    if (entry.only) return entry.only.add(t);
    const { key, labels } = entry.matcher.groupOf(event);
    this.addGroup(entry, key, labels, t);
  }

  private addGroup(entry: Entry, key: string, labels: Record<string, string>, t: number): void {
    let group = entry.groups.get(key);
    if (!group) {
      const max = this.options.maxGroupsPerRule ?? 1000;
      if (entry.groups.size >= max) {
        labels = Object.fromEntries(Object.keys(labels).map((k) => [k, OVERFLOW_LABEL]));
        key = JSON.stringify(labels);
        if (!entry.overflowed) this.options.onOverflow?.(entry.rule);
        entry.overflowed = true;
        group = entry.groups.get(key);
      }
      if (!group) {
        group = { labels, window: new SlidingWindow(entry.rule.window_seconds * 1000) };
        entry.groups.set(key, group);
        if (entry.rule.group_by.length === 0) entry.only = group.window;
      }
    }
    group.window.add(t);
  }
}

/**
 * True when an event of this type is one the matcher's rule counts (the index's check, for readers outside it).
 * @example if (matchesType(matcher, event.type) && matcher.accepts(event)) …
 */
export function matchesType(matcher: RuleMatcher, type: string): boolean {
  const t = matcher.type;
  return t === null || ('exact' in t ? t.exact === type : type.startsWith(t.prefix));
}
