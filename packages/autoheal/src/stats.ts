import type { HealRecord, HealTally } from '@aetherlink/core';

/** `GET /autoheal/stats`: the seed's keys, then time-to-heal and the quarantined set. */
export interface HealStats {
  /** Restarts that reached an outcome (skips are not attempts). */
  total_attempts: number;
  successful: number;
  failed: number;
  /** successful / total_attempts, 0 when there were none (4 decimals). */
  success_rate: number;
  /** Attempts per service, most first. */
  services: Record<string, number>;
  most_healed: string | null;
  /** Due restarts held back and recorded (maintenance, dry run, manual stop, …). */
  skipped: number;
  /** From the first failure of the streak to the verified pass, over recent successful heals. */
  time_to_heal_ms: { p50: number | null; p95: number | null; samples: number };
  quarantined: { service: string; since: string; reason: string }[];
}

/**
 * The seed's stats from the store's tallies. Pure: what counts as an attempt is decided here, not in a store.
 * @example healStatsFrom([{ service: 'api', outcome: 'succeeded', count: 3 }, { service: 'api', outcome: 'failed', count: 1 }])
 */
export function healStatsFrom(tallies: readonly HealTally[]): Pick<HealStats, 'total_attempts' | 'successful' | 'failed' | 'success_rate' | 'services' | 'most_healed' | 'skipped'> {
  let successful = 0;
  let failed = 0;
  let skipped = 0;
  const per = new Map<string, number>();
  for (const t of tallies) {
    if (t.outcome === 'skipped') {
      skipped += t.count;
      continue;
    }
    if (t.outcome === 'succeeded') successful += t.count;
    else failed += t.count;
    per.set(t.service, (per.get(t.service) ?? 0) + t.count);
  }
  const list = [...per].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = successful + failed;
  return {
    total_attempts: total,
    successful,
    failed,
    success_rate: total === 0 ? 0 : Math.round((successful / total) * 10_000) / 10_000,
    services: Object.fromEntries(list),
    most_healed: list[0]?.[0] ?? null,
    skipped,
  };
}

/**
 * Time to heal of successful heals: from the first failure of the streak (or the restart, when that is unknown)
 * to the verified pass; p50 and p95 by nearest rank.
 * @example timeToHeal(records) // { p50: 41000, p95: 95000, samples: 12 }
 */
export function timeToHeal(records: readonly HealRecord[]): HealStats['time_to_heal_ms'] {
  const samples = records
    .filter((r) => r.outcome === 'succeeded' && r.started_at !== null && r.duration_ms !== null)
    .map((r) => Date.parse(r.started_at!) + r.duration_ms! - Date.parse(r.detected_at ?? r.started_at!))
    .sort((a, b) => a - b);
  const rank = (p: number) => (samples.length ? samples[Math.min(samples.length - 1, Math.ceil(p * samples.length) - 1)]! : null);
  return { p50: rank(0.5), p95: rank(0.95), samples: samples.length };
}
