import { collection, defineCollection, type Collection, type DocumentStore } from '@aetherlink/core';
import { z } from 'zod';

// What auto-heal keeps in the DocumentStore: one document per service, the operators' windows, the engine's
// fleet-wide bookkeeping and the operators' settings. A new leader reads them and carries on.

/** Why the engine did, or did not, act on a service in its last round. */
export const REASONS = [
  'unknown', 'healthy', 'recovering', 'start_grace', 'threshold_not_reached', 'threshold_reached', 'healing', 'verifying',
  'healed', 'draining', 'inconclusive', 'no_liveness_check', 'readiness_only', 'quarantined', 'budget_spent', 'flapping',
  'maintenance', 'silenced', 'dependency_down', 'backoff', 'fleet_guard', 'concurrency_cap', 'rate_cap', 'manual_stop',
  'runtime_busy', 'missing', 'runtime_unavailable', 'no_runtime', 'dry_run', 'restart_failed', 'not_verified', 'released',
] as const;
export type Reason = (typeof REASONS)[number];

/** Where a service stands in the engine's eyes. */
export const ENGINE_STATES = [
  'unknown', 'starting', 'healthy', 'recovering', 'failing', 'unhealthy', 'restarting', 'verifying', 'quarantined',
  'maintenance', 'stopped', 'draining',
] as const;
export type EngineState = (typeof ENGINE_STATES)[number];

const time = z.string();
const health = z.enum(['ok', 'degraded', 'down', 'draining', 'unknown']);

export const decisionSchema = z.object({
  action: z.enum(['none', 'restart', 'skip', 'quarantine', 'release']),
  reason: z.enum(REASONS),
  message: z.string(),
  /** Since when this has been the decision (it is rewritten only when it changes). */
  since: time,
  /** When it will change by itself (backoff, grace, quarantine release, a window's end). */
  until: time.nullable(),
});
export type Decision = z.infer<typeof decisionSchema>;

const probeSchema = z.object({ check: z.string(), status_code: z.number().nullable(), latency_ms: z.number().nullable(), error: z.string().nullable() });

export const healSchema = z.object({
  id: z.string(),
  phase: z.enum(['restarting', 'verifying']),
  reason: z.string(),
  message: z.string(),
  probe: probeSchema.nullable(),
  attempt: z.number(),
  delay_ms: z.number(),
  detected_at: time.nullable(),
  started_at: time,
  restarted_at: time.nullable(),
  /** The heal fails if the checks have not passed by then. */
  deadline: time,
  /** Consecutive passing verifications so far. */
  passes: z.number(),
});
export type HealInProgress = z.infer<typeof healSchema>;

export const quarantineSchema = z.object({
  since: time,
  reason: z.enum(['budget', 'flapping', 'operator']),
  by: z.string().nullable(),
  message: z.string(),
});
export type Quarantine = z.infer<typeof quarantineSchema>;

export const serviceStateSchema = z.object({
  service: z.string(),
  /** Still a target (it may have left the registry). */
  active: z.boolean(),
  source: z.enum(['configured', 'registry', 'both']),
  runtime_id: z.string(),
  depends_on: z.array(z.string()),
  checks: z.array(z.object({ name: z.string(), kind: z.string(), role: z.enum(['liveness', 'readiness']) })),
  first_seen_at: time,
  grace_until: time.nullable(),
  status: health,
  state: z.enum(ENGINE_STATES),
  consecutive_failures: z.number(),
  consecutive_successes: z.number(),
  failing_since: time.nullable(),
  healthy_since: time.nullable(),
  /** The last liveness results, oldest first: P passed, F failed. */
  results: z.string(),
  flapping: z.boolean(),
  /** Restarts in the current backoff streak. */
  attempt: z.number(),
  /** The wait before the next restart, and the earliest time for it. */
  next_delay_ms: z.number(),
  next_restart_at: time.nullable(),
  /** Restart times within the budget window. */
  restarts: z.array(time),
  quarantine: quarantineSchema.nullable(),
  heal: healSchema.nullable(),
  /** Dependencies that were down when a restart of this service came due. */
  blocked_by: z.array(z.string()),
  /** The skip already recorded in this failure streak (recorded once per reason). */
  skipped: z.string().nullable(),
  in_maintenance: z.boolean(),
  /** The check that decided the last verdict (the failing one when one failed). */
  last: probeSchema.nullable(),
  decision: decisionSchema,
});
export type ServiceState = z.infer<typeof serviceStateSchema>;

export const windowSchema = z.object({
  /** A service name, or `*` for every service. */
  service: z.string(),
  /** maintenance: planned work, failures expected · silence: auto-heal keeps judging but does not act. */
  kind: z.enum(['maintenance', 'silence']),
  starts_at: time,
  ends_at: time.nullable(),
  by: z.string(),
  reason: z.string(),
  created_at: time,
});
export type OperatorWindow = z.infer<typeof windowSchema>;

export const engineSchema = z.object({
  last_round_at: time.nullable(),
  last_round_ms: z.number().nullable(),
  /** Restart start times over the last minute, fleet-wide (the per-minute cap). */
  recent_restarts: z.array(time),
  fleet_guard: z.object({ since: time, failing: z.number(), fleet: z.number() }).nullable(),
});
export type EngineDoc = z.infer<typeof engineSchema>;

export const settingsSchema = z.object({
  dry_run: z.boolean(),
  by: z.string().nullable(),
  reason: z.string().nullable(),
  at: time.nullable(),
});
export type SettingsDoc = z.infer<typeof settingsSchema>;

export const servicesCollection = defineCollection<ServiceState>({ name: 'autoheal_services', schema: serviceStateSchema });
export const windowsCollection = defineCollection<OperatorWindow>({ name: 'autoheal_windows', schema: windowSchema, indexes: ['service'] });
export const engineCollection = defineCollection<EngineDoc>({ name: 'autoheal_engine', schema: engineSchema });
export const settingsCollection = defineCollection<SettingsDoc>({ name: 'autoheal_settings', schema: settingsSchema });

/** The engine's collections on one DocumentStore. */
export interface HealCollections {
  services: Collection<ServiceState>;
  windows: Collection<OperatorWindow>;
  engine: Collection<EngineDoc>;
  settings: Collection<SettingsDoc>;
}

export const ENGINE_ID = 'engine';
export const SETTINGS_ID = 'settings';
export const EMPTY_ENGINE: EngineDoc = { last_round_at: null, last_round_ms: null, recent_restarts: [], fleet_guard: null };
export const DEFAULT_SETTINGS: SettingsDoc = { dry_run: false, by: null, reason: null, at: null };

/** Binds the collections. */
export function healCollections(documents: DocumentStore): HealCollections {
  return {
    services: collection(documents, servicesCollection),
    windows: collection(documents, windowsCollection),
    engine: collection(documents, engineCollection),
    settings: collection(documents, settingsCollection),
  };
}

/**
 * A service's state when the engine first sees it.
 * @example newServiceState(target, Date.now())
 */
export function newServiceState(
  target: { name: string; runtimeId: string; source: ServiceState['source']; dependsOn: string[]; checks: { name: string; kind: string; role: 'liveness' | 'readiness' }[]; startGraceMs: number },
  now: number,
): ServiceState {
  const at = new Date(now).toISOString();
  return {
    service: target.name,
    active: true,
    source: target.source,
    runtime_id: target.runtimeId,
    depends_on: [...target.dependsOn],
    checks: target.checks.map((c) => ({ name: c.name, kind: c.kind, role: c.role })),
    first_seen_at: at,
    grace_until: target.startGraceMs > 0 ? new Date(now + target.startGraceMs).toISOString() : null,
    status: 'unknown',
    state: 'unknown',
    consecutive_failures: 0,
    consecutive_successes: 0,
    failing_since: null,
    healthy_since: null,
    results: '',
    flapping: false,
    attempt: 0,
    next_delay_ms: 0,
    next_restart_at: null,
    restarts: [],
    quarantine: null,
    heal: null,
    blocked_by: [],
    skipped: null,
    in_maintenance: false,
    last: null,
    decision: { action: 'none', reason: 'unknown', message: 'not checked yet', since: at, until: null },
  };
}
