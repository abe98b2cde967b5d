import {
  collection,
  isVersionConflict,
  loggerFor,
  systemClock,
  type Clock,
  type DocumentStore,
  type EventBus,
  type Logger,
  type StoredDocument,
} from '@aetherlink/core';
import { backfillQuery, readPages } from './_internal/backfill.js';
import { alertIdOf } from './_internal/ids.js';
import { flushOutbox, type OutboxContext } from './_internal/outbox.js';
import { versioned } from './_internal/versioned.js';
import { RuleWindows } from './_internal/windows.js';
import { alertStatesCollection } from './collections.js';
import { decideAlert, type AlertObservation, type DecideContext } from './decide.js';
import type { Notifier } from './notification.js';
import { createRuleBook } from './rules.js';
import { createSilenceBook } from './silence-book.js';
import { silencedBy } from './silences.js';
import type { AlertRule, AlertState, AlertTransition } from './types.js';

export interface AlertEvaluatorOptions {
  documents: DocumentStore;
  /** Where matching events come from (live) and are read back from (`bus.store`, after a restart). */
  bus: EventBus;
  /** Where firing, repeat and resolved notices go. Without one, notices are recorded and published only. */
  notifier?: Notifier;
  /** This instance's id: it marks the notices it queued. */
  owner: string;
  /** `source` of `ops.alert.*` events. Default `aetherlink-alerts`. */
  source?: string;
  /** Re-notify a still-firing alert this often, unless its rule says otherwise. Default 4 h. */
  repeatIntervalMs?: number;
  /** How long a resolved alert's document is kept. Default 1 h. */
  resolvedRetentionMs?: number;
  /** Notices another evaluator queued and did not finish are taken over after this long. Default 60 s. */
  outboxGraceMs?: number;
  /**
   * Once this evaluator has held a leader term this long, notices another evaluator queued before the term began
   * are taken over without waiting for `outboxGraceMs`: their evaluator lost the leadership (it died, or its
   * session ended), and this long is enough for a deposed one to notice. Default 10 s.
   */
  outboxTakeoverMs?: number;
  /** Groups one rule may hold; further groups count together as `(other)`. Default 1000. */
  maxGroupsPerRule?: number;
  clock?: Clock;
  logger?: Logger;
  /** Called once per finished notice: handed to the notifier (`sent`), held back by a silence, or failed. */
  onNotice?: (outcome: 'sent' | 'silenced' | 'failed') => void;
}

/** What one evaluation did. */
export interface EvaluationReport {
  evaluated_at: string;
  /** Enabled, readable rules evaluated. */
  rules: number;
  /** Alerts by status after the tick. */
  alerts: { pending: number; firing: number; resolved: number };
  transitions: AlertTransition[];
  notifications: { sent: number; silenced: number; failed: number };
  /** Rules whose windows were rebuilt from the event store this tick, and the events read for them. */
  rebuilt: { rules: number; events: number };
  /** Writes another evaluator got to first (each was decided again on what it wrote). */
  conflicts: number;
}

export interface AlertEvaluator {
  /**
   * One tick. With `term` (a leadership term's signal; the leader loop passes its `signal`) the windows live on
   * between ticks, counted from the bus as events arrive, until the term ends; the first tick of a term rebuilds
   * them from the event store. Without one, a tick during a live term uses its windows, and otherwise builds
   * windows from the store for this tick alone. Writes stop once `signal` aborts.
   */
  evaluate(options?: { signal?: AbortSignal; term?: AbortSignal }): Promise<EvaluationReport>;
  /** The windows held now (none outside a leadership term). */
  windows(): { live: boolean; rules: number; groups: number };
  close(): void;
}

const ISO = (ms: number) => new Date(ms).toISOString();

/**
 * The acting part of alerting: keeps rule windows counted incrementally, decides each alert with `decideAlert`,
 * writes its state with compare-and-set (so two evaluators agree on one episode and one notice), then publishes
 * and notifies through the state's outbox.
 * @example const evaluator = createAlertEvaluator({ documents: stores.documents, bus, owner: instance, notifier }); await evaluator.evaluate()
 */
export function createAlertEvaluator(options: AlertEvaluatorOptions): AlertEvaluator {
  const clock = options.clock ?? systemClock;
  const logger = loggerFor(options.logger, 'alerts');
  const rules = createRuleBook({ documents: options.documents });
  const silences = createSilenceBook({ documents: options.documents, clock });
  const states = collection(options.documents, alertStatesCollection);
  const repeatMs = options.repeatIntervalMs ?? 4 * 3_600_000;
  const graceMs = options.outboxGraceMs ?? 60_000;
  const takeoverMs = options.outboxTakeoverMs ?? 10_000;
  const outbox: OutboxContext = { states, bus: options.bus, notifier: options.notifier, source: options.source ?? 'aetherlink-alerts', logger };
  const newWindows = () =>
    new RuleWindows({
      maxGroupsPerRule: options.maxGroupsPerRule ?? 1000,
      onOverflow: (rule) => logger.warn({ rule_id: rule.id, rule: rule.name }, `alert rule "${rule.name}" has more groups than allowed; the rest count together as (other)`),
    });

  let live: { term: AbortSignal; windows: RuleWindows; unsubscribe: () => void; since: number } | null = null;
  // Alert documents change only when an evaluator writes them, rules and silences when people do.
  const ruleCache = versioned(rules.version, async () => (await rules.list()).filter((r) => r.enabled && r.problem === undefined));
  const stateCache = versioned(states.version, () => states.list());
  const silenceCache = versioned(silences.version, () => silences.all());
  // The rules version each set of windows was last synced to (rules are compiled into matchers only when it moves).
  const syncedAt = new WeakMap<RuleWindows, number>();
  let chain: Promise<unknown> = Promise.resolve();

  const endLive = () => {
    live?.unsubscribe();
    live = null;
  };
  const startLive = (term: AbortSignal) => {
    endLive();
    const windows = newWindows();
    const unsubscribe = options.bus.subscribe({}, (event) => windows.observe(event));
    live = { term, windows, unsubscribe, since: clock.now() };
    // Counting stops with leadership: another instance evaluates now, and a later term starts from the store.
    term.addEventListener('abort', () => live?.term === term && endLive(), { once: true });
  };

  /** `leaderSince`: when the leader term this tick runs in began, if it runs in one. */
  async function tick(windows: RuleWindows, signal: AbortSignal | undefined, leaderSince?: number): Promise<EvaluationReport> {
    const now = clock.now();
    const report: EvaluationReport = {
      evaluated_at: ISO(now),
      rules: 0,
      alerts: { pending: 0, firing: 0, resolved: 0 },
      transitions: [],
      notifications: { sent: 0, silenced: 0, failed: 0 },
      rebuilt: { rules: 0, events: 0 },
      conflicts: 0,
    };
    const { version: rulesVersion, value: evaluable } = await ruleCache.get();
    report.rules = evaluable.length;
    const stale = syncedAt.get(windows) === rulesVersion ? [] : windows.sync(evaluable, now);
    syncedAt.set(windows, rulesVersion);
    if (stale.length > 0) {
      let complete = false;
      try {
        report.rebuilt = { rules: stale.length, events: await readPages(options.bus.store, backfillQuery(stale, now, 1000), (e) => windows.backfill(e), signal) };
        complete = !signal?.aborted;
      } finally {
        windows.endBackfill();
        // A rebuild cut short would undercount for good: those rules are rebuilt again next tick.
        if (!complete) {
          windows.forget(stale.map((r) => r.id));
          syncedAt.delete(windows);
        }
      }
      if (!complete) return report;
    }
    const [{ value: stored }, { value: silenceList }] = await Promise.all([stateCache.get(), silenceCache.get()]);
    const byRule = new Map<string, StoredDocument<AlertState>[]>();
    for (const doc of stored) (byRule.get(doc.data.rule_id) ?? byRule.set(doc.data.rule_id, []).get(doc.data.rule_id)!).push(doc);
    const finals = new Map<string, AlertState | null>(stored.map((d) => [d.id, d.data]));
    const written: StoredDocument<AlertState>[] = [];

    const settle = async (rule: AlertRule | null, doc: StoredDocument<AlertState> | null, seen: AlertObservation) => {
      const snap = rule ?? doc!.data.rule;
      const target = { rule_id: seen.ruleId, rule_name: snap.name, source: seen.labels.source ?? rule?.source ?? null, tenant: seen.labels.tenant ?? snap.tenant, severity: snap.severity };
      const ctx: DecideContext = {
        now,
        silence: silencedBy(silenceList, target, now),
        repeatMs: rule?.repeat_interval_seconds ? rule.repeat_interval_seconds * 1000 : repeatMs,
        retentionMs: options.resolvedRetentionMs ?? 3_600_000,
        owner: options.owner,
      };
      for (let attempt = 0; attempt < 5; attempt++) {
        const decision = decideAlert(rule, doc?.data ?? null, seen, ctx);
        if (!decision.changed || signal?.aborted) {
          // After a lost race, what the winner wrote is what stands.
          if (doc?.data !== undefined) finals.set(seen.alertId, doc.data);
          else if (finals.has(seen.alertId)) finals.set(seen.alertId, null);
          return;
        }
        try {
          if (decision.next === null) {
            if (doc) await states.remove(seen.alertId, { ifVersion: doc.version });
          } else {
            written.push(await states.put({ id: seen.alertId, data: decision.next }, { ifVersion: doc?.version ?? 0 }));
          }
          finals.set(seen.alertId, decision.next);
          for (const t of decision.transitions) report.transitions.push({ rule_id: seen.ruleId, rule_name: snap.name, group: seen.labels, ...t, at: ISO(now) });
          return;
        } catch (error) {
          if (!isVersionConflict(error)) throw error;
          report.conflicts++;
          doc = await states.get(seen.alertId);
        }
      }
    };

    const evaluated = new Set<string>();
    for (const rule of evaluable) {
      evaluated.add(rule.id);
      const docs = byRule.get(rule.id) ?? [];
      const counts = windows.groups(rule.id, now);
      if (counts.length === 0 && docs.length === 0) continue;
      const seen = new Map(counts.map((c) => [c.key, c]));
      for (const doc of docs) if (!seen.has(doc.data.group_key)) seen.set(doc.data.group_key, { key: doc.data.group_key, labels: doc.data.group, count: 0 });
      const docByKey = new Map(docs.map((d) => [d.data.group_key, d]));
      for (const c of seen.values()) {
        // Below threshold with no alert document: nothing can change, so nothing is decided.
        if (c.count < rule.threshold && !docByKey.has(c.key)) continue;
        await settle(rule, docByKey.get(c.key) ?? null, { alertId: alertIdOf(rule.id, c.key), ruleId: rule.id, groupKey: c.key, labels: c.labels, count: c.count });
      }
    }
    // Alerts whose rule was removed, disabled or became unreadable resolve (or are dropped when only pending).
    for (const doc of stored) {
      if (evaluated.has(doc.data.rule_id)) continue;
      await settle(null, doc, { alertId: doc.id, ruleId: doc.data.rule_id, groupKey: doc.data.group_key, labels: doc.data.group, count: 0 });
    }

    const add = (o: { sent: number; silenced: number; failed: number }) => {
      report.notifications.sent += o.sent;
      report.notifications.silenced += o.silenced;
      report.notifications.failed += o.failed;
      for (const [k, n] of Object.entries(o)) for (let i = 0; i < n; i++) options.onNotice?.(k as 'sent');
    };
    // Notices this evaluator queued (now, or earlier and unfinished), and those another one left behind: past the
    // grace period, or queued before this leader term began once the term is old enough; in order, up to the first
    // that belongs to another evaluator still at work.
    const settled = leaderSince !== undefined && now - leaderSince >= takeoverMs;
    const atWork = (i: AlertState['outbox'][number]) => {
      if (i.queued_by === options.owner) return false;
      const queued = Date.parse(i.queued_at);
      return now - queued < graceMs && !(settled && queued < leaderSince!);
    };
    const ours = (items: AlertState['outbox']) => {
      const end = items.findIndex(atWork);
      return end === -1 ? items : items.slice(0, end);
    };
    const flushed = new Set<string>();
    for (const doc of [...written, ...stored]) {
      if (signal?.aborted || flushed.has(doc.id)) continue;
      if (finals.get(doc.id) === null || (finals.get(doc.id) !== doc.data && !written.includes(doc))) continue;
      flushed.add(doc.id);
      const items = ours(doc.data.outbox);
      if (items.length > 0) add(await flushOutbox(outbox, doc.id, items));
    }
    for (const s of finals.values()) if (s) report.alerts[s.status]++;
    return report;
  }

  const run = async (opts: { signal?: AbortSignal; term?: AbortSignal }) => {
    if (opts.term && !opts.term.aborted && live?.term !== opts.term) startLive(opts.term);
    if (live && !live.term.aborted) return tick(live.windows, opts.signal, live.since);
    return tick(newWindows(), opts.signal);
  };

  return {
    evaluate(opts = {}) {
      const next = chain.then(() => run(opts));
      chain = next.catch(() => undefined);
      return next;
    },
    windows: () => ({ live: live !== null, ...(live?.windows.size() ?? { rules: 0, groups: 0 }) }),
    close: endLive,
  };
}
