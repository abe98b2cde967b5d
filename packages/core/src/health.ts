import { z } from 'zod';

/** Health of one service or check. */
export const HEALTH_STATUSES = ['ok', 'degraded', 'down', 'maintenance'] as const;
export const healthStatusSchema = z.enum(HEALTH_STATUSES);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2, maintenance: 3 };

/**
 * Orders statuses worst first: maintenance > down > degraded > ok.
 * @example statuses.sort(compareHealth)
 */
export function compareHealth(a: HealthStatus, b: HealthStatus): number {
  return RANK[b] - RANK[a];
}

/**
 * The worst of several statuses; `ok` when there are none.
 * @example worstStatus(['ok', 'degraded']) // 'degraded'
 */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}
