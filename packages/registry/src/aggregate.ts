import { compareHealth, worstStatus } from '@aetherlink/core';
import type { HealthReport, ServiceHealth } from './types.js';

/**
 * The fleet's health: the worst status over the services (maintenance > down > degraded > ok; `ok` when there
 * are none) and the services worst first, then by name. Pure.
 * @example aggregateHealth([{ name: 'a', status: 'ok', … }, { name: 'b', status: 'down', … }], now).status // 'down'
 */
export function aggregateHealth(services: readonly ServiceHealth[], checkedAt: string): HealthReport {
  const sorted = [...services].sort((a, b) => compareHealth(a.status, b.status) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { status: worstStatus(sorted.map((s) => s.status)), checked_at: checkedAt, services: sorted };
}
