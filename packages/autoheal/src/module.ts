import { Counter, DURATION_BUCKETS, Gauge, Histogram, sharedMetric, type Module, type Permission } from '@aetherlink/core';
import { AUTOHEAL_EVENT_TYPES } from './events.js';
import { createAutoHealer, type AutoHealer } from './healer.js';
import { autohealRoutes } from './routes.js';
import type { AutoHealerOptions } from './types.js';

export interface AutohealModuleOptions extends Omit<AutoHealerOptions, 'hooks'> {
  /** Run the loop. Off, the routes still answer (with `enabled: false`). Default true. */
  enabled?: boolean;
  readPermission?: Permission;
  writePermission?: Permission;
  /** Runs once the app serves, e.g. to start a process supervisor's workloads. */
  onStart?: () => Promise<void> | void;
}

export interface AutohealModule extends Module {
  readonly healer: AutoHealer;
}

// Time-to-heal spans seconds to many minutes.
const HEAL_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

/**
 * Auto-heal as a module: its routes, one leader-only loop (rounds on the interval's grid, so a slow round does
 * not stretch detection), its event types, and `/metrics` series for attempts by outcome, time to heal,
 * quarantined services and round duration. Closing stops the heals in flight (the next leader finishes them) and
 * closes the runtime it was given.
 * @example modules.push(autohealModule({ runtime, targets, registry: registry.registry, bus, documents: stores.documents, history: stores.heal, logger }))
 */
export function autohealModule(options: AutohealModuleOptions): AutohealModule {
  const { enabled = true, readPermission, writePermission, onStart, ...healerOptions } = options;
  let attempts: Counter<'outcome'> | undefined;
  let timeToHeal: Histogram | undefined;
  let roundDuration: Histogram | undefined;
  const healer = createAutoHealer({
    ...healerOptions,
    hooks: {
      attempt(outcome, record) {
        attempts?.inc({ outcome });
        if (outcome === 'succeeded' && record.started_at && record.duration_ms !== null) {
          const end = Date.parse(record.started_at) + record.duration_ms;
          timeToHeal?.observe((end - Date.parse(record.detected_at ?? record.started_at)) / 1000);
        }
      },
      round(report) {
        roundDuration?.observe(report.duration_ms / 1000);
      },
    },
  });
  // Rounds keep to the interval's grid; the loop only looks often enough for that.
  const tickMs = Math.min(1000, Math.max(25, Math.round(healer.policy.intervalMs / 20)));

  return {
    name: 'autoheal',
    healer,
    routes: autohealRoutes({ healer, enabled, ...(readPermission ? { readPermission } : {}), ...(writePermission ? { writePermission } : {}) }),
    loops: enabled
      ? [
          {
            name: 'autoheal',
            intervalMs: tickMs,
            run: (signal) => healer.runDue(signal),
          },
        ]
      : [],
    eventTypes: AUTOHEAL_EVENT_TYPES,
    ...(onStart ? { start: onStart } : {}),
    metrics(registry) {
      attempts = sharedMetric(
        registry,
        'aetherlink_autoheal_attempts_total',
        () => new Counter({ name: 'aetherlink_autoheal_attempts_total', help: 'Heal attempts by outcome (skipped: a due restart held back and recorded)', labelNames: ['outcome'] as const, registers: [registry] }),
      );
      timeToHeal = sharedMetric(
        registry,
        'aetherlink_autoheal_time_to_heal_seconds',
        () => new Histogram({ name: 'aetherlink_autoheal_time_to_heal_seconds', help: 'From the first failure of a streak to the verified pass, for successful heals', buckets: HEAL_BUCKETS, registers: [registry] }),
      );
      roundDuration = sharedMetric(
        registry,
        'aetherlink_autoheal_round_duration_seconds',
        () => new Histogram({ name: 'aetherlink_autoheal_round_duration_seconds', help: 'One auto-heal round: every check, the decisions and the writes', buckets: DURATION_BUCKETS, registers: [registry] }),
      );
      sharedMetric(
        registry,
        'aetherlink_autoheal_quarantined_services',
        () =>
          new Gauge({
            name: 'aetherlink_autoheal_quarantined_services',
            help: 'Services auto-heal holds in quarantine',
            registers: [registry],
            async collect() {
              this.set((await healer.quarantined()).length);
            },
          }),
      );
    },
    async close() {
      await healer.close();
      await options.runtime?.close?.();
    },
  };
}
