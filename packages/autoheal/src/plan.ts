import { within } from './rules.js';
import type { HealPolicy } from './types.js';

/** What a round knows fleet-wide when restarts are due. */
export interface PlanInput {
  now: number;
  policy: HealPolicy;
  /** Restarts due this round; `order` is the target's place in dependency order (dependencies first). */
  due: readonly { service: string; order: number; failingSince: string | null }[];
  /** Targets judged this round (maintenance left out), and how many of them failed liveness (dependencies' symptoms left out). */
  fleet: number;
  failing: number;
  /** Heals in flight now, on any instance (from the stored states). */
  inFlight: number;
  /** Restart start times, fleet-wide, recent enough to count against the per-minute cap. */
  recentRestarts: readonly string[];
}

export type HoldReason = 'fleet_guard' | 'concurrency_cap' | 'rate_cap';

export interface Plan {
  fleetGuard: boolean;
  /** Services to restart now, in order. */
  start: string[];
  held: { service: string; reason: HoldReason; message: string }[];
}

/**
 * Which due restarts happen this round: none when the fleet guard trips (more than `share` of the fleet, and at
 * least `minFailing` services, failing at once points at the prober or the network); otherwise dependencies
 * first, then the longest failing, up to the free concurrency and the per-minute cap. Pure.
 * @example planRound({ now, policy, due, fleet: 40, failing: 2, inFlight: 1, recentRestarts })
 */
export function planRound(input: PlanInput): Plan {
  const { policy, now } = input;
  const { share, minFailing } = policy.fleetGuard;
  const fleetGuard = input.failing >= minFailing && input.failing > share * input.fleet;
  if (fleetGuard) {
    const message = `${input.failing} of ${input.fleet} services failed in this round (over ${Math.round(share * 100)} %): the prober or the network is the likelier fault, so nothing is restarted`;
    return { fleetGuard, start: [], held: input.due.map((d) => ({ service: d.service, reason: 'fleet_guard', message })) };
  }
  const ordered = [...input.due].sort((a, b) => a.order - b.order || (a.failingSince ?? '').localeCompare(b.failingSince ?? '') || a.service.localeCompare(b.service));
  let slots = policy.caps.concurrentRestarts - input.inFlight;
  let rate = policy.caps.restartsPerMinute - within(input.recentRestarts, now, 60_000).length;
  const plan: Plan = { fleetGuard, start: [], held: [] };
  for (const d of ordered) {
    if (slots <= 0) {
      plan.held.push({ service: d.service, reason: 'concurrency_cap', message: `${policy.caps.concurrentRestarts} heals are already in flight (the concurrency cap); it waits its turn` });
    } else if (rate <= 0) {
      plan.held.push({ service: d.service, reason: 'rate_cap', message: `${policy.caps.restartsPerMinute} restarts began in the last minute (the rate cap); it waits its turn` });
    } else {
      plan.start.push(d.service);
      slots--;
      rate--;
    }
  }
  return plan;
}
