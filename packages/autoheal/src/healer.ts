import { errorFields, loggerFor, severityOf, systemClock, type HealRecord } from '@aetherlink/core';
import type { EngineContext } from './_internal/context.js';
import { createCheckRunner } from './checks/runner.js';
import { AUTOHEAL_EVENT_TYPES } from './events.js';
import { createOperatorActions, type OperatorActions } from './operator.js';
import { resolvePolicy } from './policy.js';
import { runRound } from './round.js';
import { ENGINE_ID, healCollections, SETTINGS_ID } from './state.js';
import { healStatsFrom, timeToHeal, type HealStats } from './stats.js';
import { resolveTargets } from './targets.js';
import type { AutoHealerOptions, HealPolicy, ResolvedTarget, RoundReport } from './types.js';
import { serviceWhy, statusView, type ServiceWhy, type StatusView } from './views.js';

/** The healing engine: rounds, the views routes answer with, and the operators' acts. */
export interface AutoHealer extends OperatorActions {
  readonly policy: HealPolicy;
  /** The runtime's kind, or `none`. */
  readonly runtimeKind: string;
  /** One round now. */
  runRound(signal?: AbortSignal): Promise<RoundReport>;
  /** A round when one is due on the interval's grid (rounds start every `intervalMs`, however long the last took); null otherwise. */
  runDue(signal?: AbortSignal): Promise<RoundReport | null>;
  /** The targets of the last round. */
  targets(): readonly ResolvedTarget[];
  status(options?: { enabled?: boolean }): Promise<StatusView>;
  /** Null when auto-heal has never seen the service. */
  service(name: string): Promise<ServiceWhy | null>;
  /** Newest first; `total_in_history` counts every record. */
  history(query: { limit: number; service?: string }): Promise<{ history: HealRecord[]; total_in_history: number; limit: number }>;
  stats(): Promise<HealStats>;
  /** The quarantined services, by name. */
  quarantined(): Promise<HealStats['quarantined']>;
  /** Resolves once the heals running in this process have ended (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops the heals in flight (their state stays for the next leader) and closes the checks' connections. */
  close(): Promise<void>;
}

// Successful heals sampled for time-to-heal.
const TTH_SAMPLES = 500;

/**
 * Creates the healing engine. Checks run each round; pure deciders fold them into per-service state kept in the
 * DocumentStore; the acting part restarts through the runtime under the fleet guard, caps, budgets and backoff,
 * then verifies. Run `runDue()` (or `runRound()`) from a leader-only loop; `autohealModule` does that.
 * @example
 * const healer = createAutoHealer({ runtime: dockerRuntime(), targets: [{ name: 'api', checks: [{ kind: 'http', url: 'http://api:8080/ping' }] }],
 *   documents: stores.documents, history: stores.heal, bus, policy: { intervalMs: 10_000 } });
 * await healer.runRound();
 */
export function createAutoHealer(options: AutoHealerOptions): AutoHealer {
  const policy = resolvePolicy(options.policy);
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'autoheal');
  const runtime = options.runtime;
  const configured = resolveTargets(options.targets ?? [], policy, runtime !== null);
  const cols = healCollections(options.documents);
  const closer = new AbortController();
  const hooks = options.hooks ?? {};
  const e: EngineContext = {
    policy,
    clock,
    random: options.random ?? Math.random,
    log,
    runtime,
    history: options.history,
    cols,
    runner: createCheckRunner({ runtime, policy, clock, ...(options.egress ? { egress: options.egress } : {}), ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) }),
    hooks,
    configured,
    registry: options.registry,
    targets: configured,
    registered: [],
    local: new Map(),
    observations: new Map(),
    closing: closer.signal,
    async emit(type, data) {
      if (!options.bus) return;
      try {
        await options.bus.emit(type, data, { severity: severityOf(AUTOHEAL_EVENT_TYPES, type) });
      } catch (error) {
        log.error({ type, err: errorFields(error) }, `could not publish ${type}`);
      }
    },
    async record(record) {
      try {
        await options.history.append(record);
      } catch (error) {
        log.error({ service: record.service, err: errorFields(error) }, 'could not append to the heal history');
      }
      hooks.attempt?.(record.outcome, record);
    },
  };
  let nextDue: number | null = null;
  const signalOf = (signal?: AbortSignal) => (signal ? AbortSignal.any([signal, closer.signal]) : closer.signal);

  const round = (signal?: AbortSignal) => runRound(e, signalOf(signal));
  const quarantinedNow = async () =>
    (await cols.services.list())
      .filter((d) => d.data.quarantine)
      .map((d) => ({ service: d.id, since: d.data.quarantine!.since, reason: d.data.quarantine!.reason }))
      .sort((a, b) => a.service.localeCompare(b.service));

  return {
    policy,
    runtimeKind: runtime?.kind ?? 'none',
    ...createOperatorActions(e),
    runRound: round,
    async runDue(signal) {
      const now = clock.now();
      if (nextDue !== null && now < nextDue) return null;
      nextDue = (nextDue ?? now) + policy.intervalMs;
      while (nextDue <= now) nextDue += policy.intervalMs;
      return round(signal);
    },
    targets: () => e.targets,
    async status(statusOptions = {}) {
      const [states, engine, settings] = await Promise.all([cols.services.list(), cols.engine.get(ENGINE_ID), cols.settings.get(SETTINGS_ID)]);
      return statusView(states.map((d) => d.data), engine?.data ?? null, settings?.data ?? null, policy, runtime?.kind ?? 'none', statusOptions.enabled ?? true);
    },
    async service(name) {
      const doc = await cols.services.get(name);
      if (!doc) return null;
      const [windows, engine, last] = await Promise.all([cols.windows.list(), cols.engine.get(ENGINE_ID), options.history.list({ limit: 1, service: name })]);
      return serviceWhy(doc.data, {
        target: e.targets.find((t) => t.name === name),
        observation: e.observations.get(name),
        windows: windows.map((w) => ({ id: w.id, ...w.data })),
        lastHeal: last[0] ?? null,
        engine: engine?.data ?? null,
        policy,
        now: clock.now(),
      });
    },
    async history({ limit, service }) {
      const [history, total] = await Promise.all([options.history.list({ limit, ...(service ? { service } : {}) }), options.history.count()]);
      return { history, total_in_history: total, limit };
    },
    async stats() {
      const [tallies, succeeded, quarantined] = await Promise.all([options.history.tally(), options.history.list({ limit: TTH_SAMPLES, outcome: 'succeeded' }), quarantinedNow()]);
      return { ...healStatsFrom(tallies), time_to_heal_ms: timeToHeal(succeeded), quarantined };
    },
    quarantined: quarantinedNow,
    async idle() {
      while (e.local.size) await Promise.all([...e.local.values()]);
    },
    async close() {
      closer.abort(new Error('auto-heal is closing'));
      await Promise.all([...e.local.values()]);
      await e.runner.close();
    },
  };
}
