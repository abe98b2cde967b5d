import { systemClock, type Clock } from '../clock.js';
import type { SchemaRegistry } from '../events/schema-registry.js';
import type { AnyRouteSpec } from '../http/route.js';
import { errorFields, loggerFor, type Logger } from '../logger.js';
import { soleLeader, type LeaderElection } from './leader.js';
import { createLoop, type Loop } from './loop.js';
import type { CheckResult, MetricsRegistry, Module, ReadinessCheck } from './module.js';
import { loopCheck, overallStatus, type HealthCheckEntry, type ReadinessReport } from './readiness.js';

export interface ModuleHostOptions {
  /** In start order; they close in reverse. */
  modules: readonly Module[];
  /** Where the modules' event types are registered (the app bus's `registry`). */
  schemas?: SchemaRegistry;
  /** Who runs leader-only loops. Default: this instance alone. */
  leader?: LeaderElection;
  clock?: Clock;
  logger?: Logger;
  /** Where the modules' metrics are registered. */
  metrics?: MetricsRegistry;
  /** The app's own readiness checks (e.g. `database:ping`), beside the modules'. */
  readiness?: readonly ReadinessCheck[];
  /** A readiness check that has not answered in this long fails. Default 2000 ms. */
  checkTimeoutMs?: number;
  /** Identifies this instance in `/health.json`. */
  serviceId?: string;
  version?: string;
}

export interface ModuleHost {
  readonly modules: readonly Module[];
  readonly loops: readonly Loop[];
  /** Every module's routes, in module order. */
  routes(): AnyRouteSpec[];
  /** Starts the loops in module order, then each module's `start()`. */
  start(): Promise<void>;
  /** Readiness fails from now on, and each module's `drain()` runs (in reverse order). */
  drain(): Promise<void>;
  draining(): boolean;
  /** Stops every loop, then closes the modules in reverse order. Errors are logged; closing goes on. */
  close(): Promise<void>;
  /** The `application/health+json` readiness report. */
  readiness(): Promise<ReadinessReport>;
  /** What has not closed yet, for a shutdown that runs out of time. */
  pending(): string[];
}

/**
 * Runs a list of modules in an app: registers their event types and metrics, runs their loops (leader-only or
 * on every instance), answers readiness, and closes them in reverse.
 * @example const host = createModuleHost({ modules: [eventsModule({ bus }), registryModule({ ... })], schemas: bus.registry, leader, logger });
 */
export function createModuleHost(options: ModuleHostOptions): ModuleHost {
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'host');
  const leader = options.leader ?? soleLeader();
  const checkTimeoutMs = options.checkTimeoutMs ?? 2000;
  const modules = [...options.modules];
  const names = new Set<string>();
  for (const m of modules) {
    if (names.has(m.name)) throw new Error(`two modules are named "${m.name}"; module names must be unique`);
    names.add(m.name);
  }

  for (const m of modules) {
    for (const type of m.eventTypes) options.schemas?.register(type, { replace: true, builtin: true });
    if (options.metrics) m.metrics?.(options.metrics);
  }

  const owned = new Map<Loop, { module: Module; intervalMs: number }>();
  const loopsOf = new Map<Module, Loop[]>();
  for (const m of modules) {
    const list = m.loops.map((spec) => {
      const loop = createLoop({
        name: spec.name,
        intervalMs: spec.intervalMs,
        run: (signal) => spec.run(signal),
        clock,
        leader: spec.runOn === 'every' ? soleLeader() : leader,
        logger: log.child({ module: m.name }),
      });
      owned.set(loop, { module: m, intervalMs: spec.intervalMs });
      return loop;
    });
    loopsOf.set(m, list);
  }
  const loops = [...owned.keys()];

  let startedAt: number | null = null;
  let isDraining = false;
  const open = new Set<string>();

  const timed = async (check: ReadinessCheck): Promise<CheckResult> => {
    let timer: unknown;
    try {
      return await Promise.race([
        Promise.resolve().then(() => check.check()),
        new Promise<CheckResult>((resolve) => {
          timer = clock.setTimeout(() => resolve({ status: 'fail', output: `no answer within ${checkTimeoutMs} ms` }), checkTimeoutMs);
        }),
      ]);
    } catch (error) {
      log.warn({ check: check.name, err: errorFields(error) }, `readiness check ${check.name} failed`);
      return { status: 'fail', output: 'the check failed; the server log says why' };
    } finally {
      clock.clearTimeout(timer);
    }
  };

  const host: ModuleHost = {
    modules,
    loops,
    routes: () => modules.flatMap((m) => [...m.routes]),
    async start() {
      if (startedAt !== null) return;
      startedAt = clock.now();
      for (const m of modules) {
        for (const loop of loopsOf.get(m) ?? []) {
          loop.start();
          open.add(`loop ${loop.name}`);
        }
        open.add(`module ${m.name}`);
      }
      for (const m of modules) await m.start?.();
    },
    draining: () => isDraining,
    async drain() {
      if (isDraining) return;
      isDraining = true;
      for (const m of [...modules].reverse()) {
        try {
          await m.drain?.();
        } catch (error) {
          log.error({ module: m.name, err: errorFields(error) }, `module ${m.name} could not drain`);
        }
      }
    },
    async close() {
      isDraining = true;
      for (const m of [...modules].reverse()) {
        await Promise.all(
          (loopsOf.get(m) ?? []).map(async (loop) => {
            await loop.stop().catch((error: unknown) => log.error({ loop: loop.name, err: errorFields(error) }, `loop ${loop.name} did not stop cleanly`));
            open.delete(`loop ${loop.name}`);
          }),
        );
      }
      for (const m of [...modules].reverse()) {
        try {
          await m.close();
        } catch (error) {
          log.error({ module: m.name, err: errorFields(error) }, `module ${m.name} did not close cleanly`);
        }
        open.delete(`module ${m.name}`);
      }
    },
    async readiness() {
      const now = clock.now();
      const time = new Date(now).toISOString();
      const checks: Record<string, HealthCheckEntry[]> = {};
      const add = (name: string, result: CheckResult, componentType?: string) => {
        (checks[name] ??= []).push({ ...(componentType ? { componentType } : {}), ...result, time: result.time ?? time });
      };
      const all = [...(options.readiness ?? []), ...modules.flatMap((m) => m.readiness ?? [])];
      const results = await Promise.all(all.map(timed));
      all.forEach((check, i) => add(check.name, results[i]!, check.componentType));
      for (const [loop, { intervalMs }] of owned) {
        add(`loop:${loop.name}`, loopCheck({ intervalMs, active: loop.active(), lastRun: loop.lastRun(), lastError: loop.lastError(), startedAt, now }), 'system');
      }
      if (loops.length > 0) {
        const led = loops.filter((l) => l.active()).map((l) => l.name);
        add('leadership:loops', { status: 'pass', observedValue: led, output: `${leader.kind}: this instance runs ${led.length} of ${loops.length} loops` }, 'system');
      }
      if (isDraining) add('shutdown:draining', { status: 'fail', output: 'this instance is shutting down' }, 'system');
      return {
        status: overallStatus(checks),
        ...(options.version ? { version: options.version } : {}),
        ...(options.serviceId ? { serviceId: options.serviceId } : {}),
        checks,
      };
    },
    pending: () => [...open],
  };
  return host;
}
