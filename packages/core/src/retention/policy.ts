import type { PurgeRequest } from '../stores/types.js';

/** How long one kind of record is kept: by age, by count, or both (whichever removes more). */
export interface RetentionRule {
  /** Records older than this go, ms. 0 or absent: no limit by age. */
  maxAgeMs?: number;
  /** At most this many of the newest are kept. 0 or absent: no limit by count. */
  maxCount?: number;
}

/** The kinds of history a control plane keeps and retention bounds. Dead letters are not among them. */
export type RetentionKind = 'events' | 'audit' | 'heal' | 'deliveries';

/** A rule per kind; a kind left out keeps its default. */
export type RetentionPolicy = Partial<Record<RetentionKind, RetentionRule>>;

const DAY_MS = 86_400_000;

/**
 * What a small team can live with on an embedded disk: events and audit 30 days or 1M records, heal history 90
 * days or 100k, finished deliveries 14 days or 100k.
 * @example retentionModule({ stores, policy: { ...DEFAULT_RETENTION_POLICY, events: { maxAgeMs: 7 * 86_400_000 } } })
 */
export const DEFAULT_RETENTION_POLICY: Readonly<Record<RetentionKind, RetentionRule>> = Object.freeze({
  events: { maxAgeMs: 30 * DAY_MS, maxCount: 1_000_000 },
  audit: { maxAgeMs: 30 * DAY_MS, maxCount: 1_000_000 },
  heal: { maxAgeMs: 90 * DAY_MS, maxCount: 100_000 },
  deliveries: { maxAgeMs: 14 * DAY_MS, maxCount: 100_000 },
});

/**
 * The purge request one batch of a rule makes at `now`, or undefined when the rule keeps everything.
 * @example purgeRequestFor({ maxAgeMs: 86_400_000 }, Date.now(), 1000) // { olderThan: '…', limit: 1000 }
 */
export function purgeRequestFor(rule: RetentionRule, now: number, limit: number): PurgeRequest | undefined {
  const age = rule.maxAgeMs !== undefined && rule.maxAgeMs > 0 ? rule.maxAgeMs : undefined;
  const count = rule.maxCount !== undefined && rule.maxCount > 0 ? rule.maxCount : undefined;
  if (age === undefined && count === undefined) return undefined;
  return {
    limit,
    ...(age !== undefined ? { olderThan: new Date(Math.max(now - age, Date.parse('0001-01-01T00:00:00Z'))).toISOString() } : {}),
    ...(count !== undefined ? { keepNewest: count } : {}),
  };
}
