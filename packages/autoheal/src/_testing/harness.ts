// Builds an engine on a manual clock with services whose health a test sets by hand. Not part of the package.
import { createEventBus, createManualClock, memoryDocumentStore, memoryHealHistoryStore, type DocumentStore, type HealHistoryStore, type ManualClock, type StoredEvent } from '@aetherlink/core';
import { memoryLogger, recordingRuntime, type RecordingRuntime } from '@aetherlink/core/testing';
import { createAutoHealer, type AutoHealer } from '../healer.js';
import type { AutoHealerOptions, HealPolicyInput, HealTarget } from '../types.js';

export type Health = boolean | 'draining';

export interface Harness {
  healer: AutoHealer;
  clock: ManualClock;
  runtime: RecordingRuntime;
  documents: DocumentStore;
  history: HealHistoryStore;
  events: StoredEvent[];
  logs: ReturnType<typeof memoryLogger>;
  /** Sets a service's health (what its check answers from now on). */
  health: Map<string, Health>;
  set(name: string, health: Health): void;
  /** One round, then the interval passes. */
  round(): Promise<void>;
  /** One round under a leadership signal. */
  roundAs(signal: AbortSignal): Promise<void>;
  /** Moves time on, letting heals run. */
  advance(ms: number): Promise<void>;
  types(): string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  services?: (string | (Partial<HealTarget> & { name: string }))[];
  policy?: HealPolicyInput;
  /** Restarted services come back healthy. Default true. */
  healOnRestart?: boolean;
  runtime?: RecordingRuntime | null;
  random?: () => number;
  /** Share stores, clock and health with another harness (a second instance of the fleet). */
  peer?: Harness;
  /** Stores other than memory ones (a database). */
  stores?: { documents: DocumentStore; history: HealHistoryStore };
  /** Registered services join the targets. */
  registry?: AutoHealerOptions['registry'];
}

/**
 * An engine for rule tests: a custom liveness check per service reads `health`, the interval is 1 s, the start
 * grace is off, verification probes every 100 ms for up to 5 s.
 * @example const h = harness({ services: ['api'] }); h.set('api', false); await h.round()
 */
export function harness(options: HarnessOptions = {}): Harness {
  const peer = options.peer;
  const clock = peer?.clock ?? createManualClock();
  const specs = (options.services ?? ['api']).map((s) => (typeof s === 'string' ? { name: s } : s));
  const runtime =
    options.runtime === undefined
      ? (peer?.runtime ?? recordingRuntime({ clock, workloads: Object.fromEntries(specs.map((t) => [t.runtimeId ?? t.name, {}])) }))
      : options.runtime;
  const documents = peer?.documents ?? options.stores?.documents ?? memoryDocumentStore({ clock });
  const history = peer?.history ?? options.stores?.history ?? memoryHealHistoryStore();
  const bus = createEventBus({ source: 'autoheal-test', clock });
  const events: StoredEvent[] = peer?.events ?? [];
  bus.subscribe({}, (e) => events.push(e));
  const health = peer?.health ?? new Map<string, Health>();
  const logs = memoryLogger();
  const targets = specs.map((t) => {
    if (!peer) health.set(t.name, true);
    return {
      checks: [{ kind: 'custom' as const, name: 'probe', run: () => {
        const h = health.get(t.name);
        return h === 'draining' ? { ok: false, draining: true } : h === true ? true : { ok: false, error: 'HTTP 500' };
      } }],
      ...t,
    };
  });
  // A restart the runtime reports brings the service back.
  if (runtime && !peer && options.healOnRestart !== false) runtime.watch!((e) => e.action === 'start' && !e.byOperator && health.set(e.id, true));
  const healer = createAutoHealer({
    runtime,
    targets,
    documents,
    history,
    bus,
    clock,
    random: options.random ?? (() => 0.5),
    logger: logs.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    policy: { intervalMs: 1000, startGraceMs: 0, verifyIntervalMs: 100, verifyWindowMs: 5000, ...options.policy },
  });
  const h: Harness = {
    healer, clock, runtime: runtime!, documents, history, events, logs, health,
    set: (name, value) => health.set(name, value),
    async round() {
      await healer.runRound();
      await clock.advanceAsync(1000);
    },
    async roundAs(signal) {
      await healer.runRound(signal);
      await clock.advanceAsync(1000);
    },
    advance: (ms) => clock.advanceAsync(ms),
    types: () => events.map((e) => e.type),
    close: () => healer.close(),
  };
  return h;
}
