import { validationError, type EventStore, type StoredDocument } from '@aetherlink/core';
import { backfillQuery, readPages } from './_internal/backfill.js';
import { alertIdOf } from './_internal/ids.js';
import { compileMatcher, eventTime } from './_internal/matcher.js';
import { matchesType, RuleWindows } from './_internal/windows.js';
import { decideAlert, type DecideContext } from './decide.js';
import { silencedBy } from './silences.js';
import type { AlertRule, AlertState, Silence } from './types.js';

export interface BacktestOptions {
  store: EventStore;
  rule: AlertRule;
  /** Epoch ms: the range replayed (events from `from - window` count). */
  from: number;
  to: number;
  /** The virtual evaluation interval. */
  stepMs: number;
  /** Silences to apply at each virtual instant (their own time ranges hold). */
  silences?: readonly StoredDocument<Silence>[];
  /** Default repeat interval when the rule has none. Default 4 h. */
  repeatIntervalMs?: number;
  /** Most matching events a replay reads. Default 1 000 000. */
  maxEvents?: number;
  /** Most virtual ticks. Default 200 000. */
  maxTicks?: number;
  maxGroupsPerRule?: number;
  signal?: AbortSignal;
}

/** One firing episode (or one that stayed pending) the rule would have had. */
export interface BacktestEpisode {
  group: Record<string, string>;
  pending_at: string;
  firing_at: string;
  resolved_at: string | null;
  peak_count: number;
  /** Notices handed to the notifier: firing, repeats and resolved. */
  notifications: number;
  /** Firing notices a silence held back. */
  silenced: number;
}

export interface BacktestResult {
  from: string;
  to: string;
  step_seconds: number;
  evaluations: number;
  events_matched: number;
  episodes: BacktestEpisode[];
  /** Episodes past the first 500 are counted but not listed. */
  episodes_total: number;
  notifications: { firing: number; repeat: number; resolved: number; silenced: number; total: number };
}

const MAX_EPISODES = 500;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Replays stored events through a rule on a virtual clock: the same windows and the same decider as the live
 * evaluator, ticking every `stepMs` from `from` to `to`, with the repeat interval and silences. Answers when it
 * would have fired and resolved and how many notices it would have sent.
 * @example const result = await backtest({ store: bus.store, rule, from: Date.parse('2026-01-01'), to: Date.parse('2026-01-02'), stepMs: 15_000 })
 */
export async function backtest(options: BacktestOptions): Promise<BacktestResult> {
  const { rule, from, to, stepMs } = options;
  const ticks = Math.floor((to - from) / stepMs) + 1;
  const maxTicks = options.maxTicks ?? 200_000;
  if (ticks > maxTicks) throw validationError([{ field: 'step_seconds', message: `makes ${ticks} evaluations over the range; at most ${maxTicks} are replayed (a longer step or a shorter range)`, in: 'body' }], 'the preview is too large');

  // Matching events, with their group, in time order: a few numbers each, not the events themselves.
  const matcher = compileMatcher(rule);
  const hits: { t: number; key: string; labels: Record<string, string> }[] = [];
  const maxEvents = options.maxEvents ?? 1_000_000;
  const query = { ...backfillQuery([rule], to, 1000), since: iso(from - rule.window_seconds * 1000) };
  await readPages(
    options.store,
    query,
    (e) => {
      const t = eventTime(e);
      if (t > to || !matchesType(matcher, e.type) || !matcher.accepts(e)) return;
      if (hits.length >= maxEvents) throw validationError([{ field: 'to', message: `the range holds more than ${maxEvents} matching events; shorten it`, in: 'body' }], 'the preview is too large');
      hits.push({ t, ...matcher.groupOf(e) });
    },
    options.signal,
  );
  hits.sort((a, b) => a.t - b.t);

  const windows = new RuleWindows({ maxGroupsPerRule: options.maxGroupsPerRule ?? 1000 });
  windows.sync([rule], from);
  windows.endBackfill();
  const states = new Map<string, AlertState>();
  const labelsOf = new Map<string, Record<string, string>>();
  const episodes = new Map<string, BacktestEpisode>();
  const notifications = { firing: 0, repeat: 0, resolved: 0, silenced: 0, total: 0 };
  let next = 0;
  let evaluations = 0;

  for (let now = from; now <= to; now += stepMs) {
    if (options.signal?.aborted) break;
    while (next < hits.length && hits[next]!.t <= now) {
      const hit = hits[next++]!;
      windows.addAt(rule.id, hit, hit.t);
      labelsOf.set(hit.key, hit.labels);
    }
    evaluations++;
    const counts = new Map(windows.groups(rule.id, now).map((g) => [g.key, g]));
    for (const key of new Set([...counts.keys(), ...states.keys()])) {
      const labels = counts.get(key)?.labels ?? states.get(key)?.group ?? labelsOf.get(key) ?? {};
      const target = { rule_id: rule.id, rule_name: rule.name, source: labels.source ?? rule.source, tenant: labels.tenant ?? rule.tenant, severity: rule.severity };
      const ctx: DecideContext = {
        now,
        silence: options.silences ? silencedBy(options.silences, target, now) : null,
        repeatMs: (rule.repeat_interval_seconds ?? 0) * 1000 || (options.repeatIntervalMs ?? 4 * 3_600_000),
        retentionMs: 0,
        owner: 'preview',
      };
      const alertId = alertIdOf(rule.id, key);
      const decision = decideAlert(rule, states.get(key) ?? null, { alertId, ruleId: rule.id, groupKey: key, labels, count: counts.get(key)?.count ?? 0 }, ctx);
      if (!decision.changed) {
        const open = states.get(key)?.episode_id;
        const episode = open ? episodes.get(open) : undefined;
        if (episode && episode.resolved_at === null) episode.peak_count = Math.max(episode.peak_count, counts.get(key)?.count ?? 0);
        continue;
      }
      const s = decision.next;
      if (s === null) {
        states.delete(key);
        continue;
      }
      if (s.episode_id && !episodes.has(s.episode_id)) {
        episodes.set(s.episode_id, { group: s.group, pending_at: s.active_since!, firing_at: s.firing_since!, resolved_at: null, peak_count: s.count, notifications: 0, silenced: 0 });
      }
      const episode = s.episode_id ? episodes.get(s.episode_id) : undefined;
      if (episode) {
        episode.peak_count = Math.max(episode.peak_count, s.count);
        if (s.status === 'resolved') episode.resolved_at = s.resolved_at;
      }
      for (const item of s.outbox) {
        const kind = item.notification.status === 'resolved' ? 'resolved' : item.notification.notification_id.includes(':repeat-') ? 'repeat' : 'firing';
        if (!item.notify) {
          if (kind !== 'resolved') notifications.silenced++;
          if (episode && kind !== 'resolved') episode.silenced++;
          continue;
        }
        notifications[kind]++;
        notifications.total++;
        if (episode) episode.notifications++;
      }
      states.set(key, { ...s, outbox: [] });
    }
  }

  const all = [...episodes.values()].sort((a, b) => a.firing_at.localeCompare(b.firing_at));
  return {
    from: iso(from),
    to: iso(to),
    step_seconds: stepMs / 1000,
    evaluations,
    events_matched: hits.length,
    episodes: all.slice(0, MAX_EPISODES),
    episodes_total: all.length,
    notifications,
  };
}
