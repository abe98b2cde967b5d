import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { ReadinessCheck } from '../runtime/module.js';
import type { Stores } from './types.js';

/**
 * `database:ping` for `/health.json`: the time the stores' database took to answer; fails when it does not.
 * @example createModuleHost({ modules, readiness: [storesReadiness(stores)] })
 */
export function storesReadiness(stores: Stores, clock: Clock = systemClock): ReadinessCheck {
  return {
    name: 'database:ping',
    componentType: 'datastore',
    async check() {
      if (!stores.ping) return { status: 'pass', output: `${stores.kind}: nothing to reach` };
      const started = clock.now();
      // A failure throws: the host logs why and answers a plain `fail` (this answer is public).
      await stores.ping();
      return { status: 'pass', observedValue: clock.now() - started, observedUnit: 'ms' };
    },
  };
}
