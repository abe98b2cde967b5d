import type { Clock, DocumentStore, EgressPolicy, EventBus, HealHistoryStore, HealRecord, Logger, RuntimeAdapter } from '@aetherlink/core';
import type { JsonScalar, Registry } from '@aetherlink/registry';
import type { Dispatcher } from 'undici';

// Interfaces only.

// ---------------------------------------------------------------- checks

/** Only liveness failures restart; a failing readiness check shows the service degraded and nothing more. */
export type CheckRole = 'liveness' | 'readiness';

interface CheckBase {
  /** Names the check in results and history. Default: its kind. */
  name?: string;
  /** Default `liveness`. */
  role?: CheckRole;
  /** Deadline of one run. Default: the policy's `checkTimeoutMs`. */
  timeoutMs?: number;
}

/** GET a URL through the egress policy (the registry's prober): status range, response time, a JSON body path. */
export interface HttpCheck extends CheckBase {
  kind: 'http';
  url: string;
  /** Inclusive range of passing status codes. Default [200, 299]. */
  statusRange?: readonly [number, number];
  /** Answers slower than this fail the check. */
  maxLatencyMs?: number;
  /** A value in the JSON body: `ok` values pass, `degraded` ones pass as degraded, anything else fails. */
  body?: { path: string; ok: readonly JsonScalar[]; degraded?: readonly JsonScalar[] };
  headers?: Record<string, string>;
}

/** Opens a TCP connection through the egress policy; passing means it connected. */
export interface TcpCheck extends CheckBase {
  kind: 'tcp';
  host: string;
  port: number;
}

/** What a custom check may answer besides a plain boolean. */
export interface CustomCheckAnswer {
  ok: boolean;
  /** Why it failed (shown to operators: never a secret). */
  error?: string;
  /** The service is shutting down on purpose: neither broken nor healthy. */
  draining?: boolean;
}

/** Your own function. It gets a signal that aborts at its deadline. */
export interface CustomCheck extends CheckBase {
  kind: 'custom';
  name: string;
  run(context: { service: string; signal: AbortSignal }): Promise<boolean | CustomCheckAnswer> | boolean | CustomCheckAnswer;
}

/** The runtime's own view: running passes, exited or dead fails (what docker-autoheal looks at). */
export interface RuntimeCheck extends CheckBase {
  kind: 'runtime';
}

export type CheckSpec = HttpCheck | TcpCheck | CustomCheck | RuntimeCheck;

/** A check with its defaults applied. */
export type ResolvedCheck = CheckSpec & { name: string; role: CheckRole; timeoutMs: number };

/** One check's verdict: `draining` and `unknown` are neither a pass nor a failure. */
export type CheckVerdict = 'pass' | 'fail' | 'draining' | 'unknown';

/** A service's health as the last round saw it. */
export type TargetHealth = 'ok' | 'degraded' | 'down' | 'draining' | 'unknown';

/** What one check saw in one round. */
export interface CheckOutcome {
  name: string;
  kind: CheckSpec['kind'];
  role: CheckRole;
  verdict: CheckVerdict;
  health: TargetHealth;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
}

/** Every check of one target, run once. */
export interface Observation {
  at: number;
  checks: CheckOutcome[];
  /** Over the liveness checks: any failure fails; `none` when there is no liveness check. */
  liveness: CheckVerdict | 'none';
  readiness: 'pass' | 'fail' | 'none';
  health: TargetHealth;
  /** Every check passed (what a heal needs to count as verified). */
  allPass: boolean;
  /** The first failing liveness check, else the first failing check. */
  failure: CheckOutcome | null;
}

// ---------------------------------------------------------------- targets

/** A service to watch and, when its liveness fails, restart. */
export interface HealTarget {
  name: string;
  /** Container or process name the runtime knows it by. Default: `name`. */
  runtimeId?: string;
  /** Default: a `runtime` check. */
  checks?: readonly CheckSpec[];
  /** Services this one needs: when one is down it is healed first, and this one is not restarted for its fault. */
  dependsOn?: readonly string[];
  failureThreshold?: number;
  successThreshold?: number;
  startGraceMs?: number;
  stopTimeoutMs?: number;
}

/** Where a target came from: configuration, the registry, or both (the seed's registered-vs-monitored view). */
export type TargetSource = 'configured' | 'registry' | 'both';

/** A target with every default applied. */
export interface ResolvedTarget {
  name: string;
  runtimeId: string;
  checks: ResolvedCheck[];
  dependsOn: string[];
  source: TargetSource;
  failureThreshold: number;
  successThreshold: number;
  startGraceMs: number;
  stopTimeoutMs: number;
  /** The registry holds it in maintenance. */
  registryMaintenance: boolean;
}

// ---------------------------------------------------------------- policy

export interface BackoffPolicy {
  /** Wait after the first restart before a second. Default 10 000 ms. */
  initialMs: number;
  /** Default 2. */
  factor: number;
  /** Default 300 000 ms. */
  maxMs: number;
  /** ± share of each delay, drawn from `random`. Default 0.1. */
  jitter: number;
  /** Healthy this long resets the backoff. Default 600 000 ms. */
  resetAfterMs: number;
}

/** Every number auto-heal decides by. */
export interface HealPolicy {
  /** Between rounds. Default 30 000 ms. */
  intervalMs: number;
  /** Default deadline of one check. Default 5000 ms. */
  checkTimeoutMs: number;
  /** Checks in flight at once. Default 32. */
  checkConcurrency: number;
  /** Consecutive liveness failures before a restart is due. Default 3. */
  failureThreshold: number;
  /** Consecutive passes before a failing service counts as healthy again (and a heal as verified). Default 1. */
  successThreshold: number;
  /** After a target is first seen (or leaves maintenance), failures do not count for this long unless it passed. Default 30 000 ms. */
  startGraceMs: number;
  /** How long a workload gets to stop before it is killed. Default 10 000 ms. */
  stopTimeoutMs: number;
  /** A heal succeeds only when the checks pass within this long after the restart. Default 60 000 ms. */
  verifyWindowMs: number;
  /** How often a heal checks the restarted service. Default 2000 ms (or the interval, when shorter). */
  verifyIntervalMs: number;
  backoff: BackoffPolicy;
  /** At most `restarts` per service within `windowMs`; one more due restart quarantines it. Default 3 in 600 000 ms. */
  budget: { restarts: number; windowMs: number };
  /** A quarantine (budget or flapping) lifts once the service has passed for this long. Default 300 000 ms. */
  releaseAfterMs: number;
  /** Share of state changes over the last `window` liveness results: flapping from `high`, back below `low`. */
  flapping: { window: number; high: number; low: number };
  /** Heals in flight at once, and restarts started per minute, over the whole fleet. Default 3 and 10. */
  caps: { concurrentRestarts: number; restartsPerMinute: number };
  /** No restart at all in a round where more than `share` of the fleet (and at least `minFailing` services) fails. */
  fleetGuard: { share: number; minFailing: number };
  /** A 500 or 503 whose body holds one of these (case-insensitive) is a service shutting down, not a broken one. */
  drainingMarkers: string[];
  /** Decide and record, restart nothing. Operators can also switch it on at run time. */
  dryRun: boolean;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The policy as callers give it: any part, the rest defaulted. */
export type HealPolicyInput = DeepPartial<HealPolicy>;

// ---------------------------------------------------------------- the engine

/** What the healer reports as it goes, for metrics. */
export interface HealerHooks {
  /** A heal attempt ended (or a due restart was skipped and recorded). */
  attempt?(outcome: HealRecord['outcome'], record: HealRecord): void;
  /** One round finished. */
  round?(report: RoundReport): void;
}

export interface AutoHealerOptions {
  /** Where restarts happen; null watches and records without acting (`AUTOHEAL_RUNTIME=none`). */
  runtime: RuntimeAdapter | null;
  /** Configured targets. */
  targets?: readonly HealTarget[];
  /** Registered services join the targets every round (their health URL becomes a liveness check). */
  registry?: Pick<Registry, 'list'>;
  /** Where `autoheal.*` events go. Omit to emit none. */
  bus?: EventBus;
  /** Per-service state, maintenance windows and settings (a new leader continues where the last one stopped). */
  documents: DocumentStore;
  history: HealHistoryStore;
  clock?: Clock;
  /** Jitter source. Default `Math.random`. */
  random?: () => number;
  logger?: Logger;
  policy?: HealPolicyInput;
  /** Where HTTP and TCP checks may connect. Default: private and loopback allowed, link-local and metadata refused. */
  egress?: EgressPolicy;
  /** An undici dispatcher for HTTP checks (build it with the registry's `egressConnector`). Default: an own Agent. */
  dispatcher?: Dispatcher;
  hooks?: HealerHooks;
}

/** What one round saw and did. */
export interface RoundReport {
  at: string;
  duration_ms: number;
  targets: number;
  /** Targets whose liveness failed this round while everything they depend on was up. */
  failing: number;
  /** Restarts started this round. */
  restarted: string[];
  /** Due restarts held back this round, with why. */
  held: { service: string; reason: string }[];
  fleet_guard: boolean;
}
