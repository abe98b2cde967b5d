import type { EventTypeDefinition } from '../events/builtin-types.js';
import type { Registry } from 'prom-client';
import type { AnyRouteSpec } from '../http/route.js';

/**
 * One background loop a module needs. The app's host runs it: on one instance of the fleet (`leader`, the
 * default: the instance elected for `name`) or on every instance (`every`).
 */
export interface LoopSpec {
  name: string;
  intervalMs: number;
  runOn?: 'leader' | 'every';
  /**
   * One pass; passes never overlap. `signal` aborts when the app shuts down and, for leader loops, the moment
   * this instance loses leadership mid-pass: stop writing then.
   */
  run(signal: AbortSignal): Promise<unknown> | unknown;
}

/** One readiness check's answer, after draft-inadarei-api-health-check. */
export interface CheckResult {
  status: 'pass' | 'warn' | 'fail';
  /** Why it is not `pass` (never a secret). */
  output?: string;
  observedValue?: unknown;
  observedUnit?: string;
  /** ISO time the check observed. Default: when it ran. */
  time?: string;
}

/** A readiness check a module contributes to `/health.json`, keyed `component:measurement` (e.g. `database:ping`). */
export interface ReadinessCheck {
  name: string;
  componentType?: string;
  check(): CheckResult | Promise<CheckResult>;
}

/** The app's prom-client registry: modules register their collectors on it (`registers: [registry]`). */
export type MetricsRegistry = Registry;

/**
 * How a package plugs into an app: its routes, loops, event types, metrics, readiness checks and teardown.
 * The app holds the shared services (stores, bus, audit, leader election, logger, clock), hands them to each
 * module's factory, and lists the modules; the host starts loops in order and closes in reverse.
 * @example const registry = registryModule({ store: stores.registry, bus, logger: log.child({ component: 'registry' }) });
 */
export interface Module {
  readonly name: string;
  readonly routes: readonly AnyRouteSpec[];
  readonly loops: readonly LoopSpec[];
  /** The event types this module emits; their schemas live beside the code that emits them. */
  readonly eventTypes: readonly EventTypeDefinition[];
  /** Registers this module's metrics (prom-client collectors) on the app's registry. */
  metrics?(registry: MetricsRegistry): void;
  readonly readiness?: readonly ReadinessCheck[];
  /** Runs once the app is serving (after its loops started): e.g. register with a control plane. */
  start?(): Promise<void> | void;
  /** Runs when shutdown starts, before loops stop (e.g. deregister from a control plane). */
  drain?(): Promise<void> | void;
  /** Releases what the module holds, after its loops stopped. */
  close(): Promise<void> | void;
}
