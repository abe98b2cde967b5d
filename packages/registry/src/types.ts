import type { Clock, EgressPolicy, EventBus, HealthStatus, Logger, Permission, RegistryStore, ServiceCheck } from '@aetherlink/core';
import type { Dispatcher } from 'undici';
import type { Check, RegistrationInput, RegistrationLimits } from './schemas.js';

// Interfaces only.

/** A JSON value a body condition compares against. */
export type JsonScalar = string | number | boolean | null;

// ---------------------------------------------------------------- probes

/** What makes a probe pass. Every part is optional; with none, any 2xx answer is `ok`. */
export interface ProbeConditions {
  /** Inclusive range of passing status codes. Default [200, 299]. A 429 is always `degraded`. */
  statusRange?: readonly [number, number];
  /** Answers slower than this are `degraded`. */
  maxLatencyMs?: number;
  /** A value in the JSON body: `ok` values pass, `degraded` values degrade, anything else (or no value) is `down`. */
  body?: { path: string; ok: readonly JsonScalar[]; degraded?: readonly JsonScalar[] };
}

/** What one probe saw, before any judgement. */
export interface ProbeResult {
  /** Null when no HTTP answer came. */
  statusCode: number | null;
  /** Time to the whole answer (or the failure), in milliseconds. */
  latencyMs: number;
  /** The parsed JSON body, when a body condition asked for it and it parsed. */
  body?: unknown;
  /** Why the body could not be read or parsed, when it was asked for. */
  bodyError?: string;
  /** The body's text, when it was read and `keepText` asked for it. */
  text?: string;
  /** Transport failure (refused, timed out, reset); null when an HTTP answer came. */
  error: string | null;
}

/** A probe's judgement. */
export interface ProbeVerdict {
  status: HealthStatus;
  /** Why it is not `ok`; null when it is. */
  error: string | null;
}

// ---------------------------------------------------------------- the registry

/** A registered service as the registry shows it: the store's record with its lease applied to the status. */
export interface ServiceView {
  name: string;
  url: string;
  health_url: string;
  version: string | null;
  roles_required: string[];
  tags: string[];
  /** Seen last: registration or heartbeat. */
  last_seen: string;
  /** Effective status: `down` once the lease has run out, whatever the last probe said. */
  status: HealthStatus;
  status_since: string;
  registered_at: string;
  /** Lease length; null for services registered without a lease (they never expire). */
  ttl_seconds: number | null;
  lease_expires_at: string | null;
  meta: Record<string, string>;
  /** How the health checker judges this service, when the registration said. */
  check: Check | null;
  last_check: ServiceCheck | null;
}

/** One service in a health report (DESIGN §4). */
export interface ServiceHealth {
  name: string;
  status: HealthStatus;
  latency_ms: number | null;
  error: string | null;
  /** Null until the first probe. */
  checked_at: string | null;
}

/** `GET /ops/health`: the worst status over the services, and the services worst first. */
export interface HealthReport {
  status: HealthStatus;
  checked_at: string;
  services: ServiceHealth[];
}

/** Where a lease stands: none, running, run out (down), or run out for longer than critical-for (deregister). */
export type LeaseState = 'none' | 'alive' | 'expired' | 'critical';

/** What the expiry pass should do with one record. */
export type LeaseAction = 'keep' | 'mark_down' | 'deregister';

/** A change the registry made, for in-process subscribers. Heartbeats and probe results that keep the status are not reported. */
export interface RegistryChange {
  type: 'registered' | 'updated' | 'removed' | 'status';
  name: string;
  /** The effective status after the change (absent on `removed`). */
  status?: HealthStatus;
  /** Why a service was removed: `requested` or `lease_expired`. */
  reason?: string;
}

export interface RegistryOptions {
  /** Default: a fresh `memoryRegistryStore()`. */
  store?: RegistryStore;
  /** Where `service.registered`, `service.unregistered` and `service.health.failed` go. Omit to emit nothing. */
  bus?: EventBus;
  clock?: Clock;
  /** `source` of the events. Default: the bus's own. */
  source?: string;
  /** How long a service stays listed `down` after its lease ran out before it is deregistered. Default 300 000 ms. */
  criticalForMs?: number;
  /** Bounds on tags, roles, meta and lease length. */
  limits?: Partial<RegistrationLimits>;
  /** How often a waiter on the change feed asks the store whether another process changed it. Default 1000 ms. */
  changePollMs?: number;
  /** Where the registry logs: failed events and subscribers (unless `onError` takes them), lost write races. Default: warnings and errors on stderr. */
  logger?: Logger;
  /** Called when emitting an event or notifying a subscriber fails; the registry carries on. Default: logged at error level. */
  onError?: (error: unknown) => void;
}

export interface RegisterResult {
  service: ServiceView;
  /** False when an existing registration was replaced. */
  created: boolean;
}

/** A probe's outcome as the health checker hands it to the registry. */
export interface CheckOutcome {
  /** The health URL that was probed: a result for an old URL is dropped. */
  health_url: string;
  status: HealthStatus;
  error: string | null;
  latency_ms: number | null;
  checked_at: string;
}

/** What one lease-expiry pass did. */
export interface ExpiryResult {
  /** Services newly marked `down` because their lease ran out. */
  expired: string[];
  /** Services removed after critical-for. */
  deregistered: string[];
}

export interface WaitForChangeOptions {
  /** Give up after this long and resolve with the current version. Default 30 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The service registry: upserts by name, leases, a change feed, and the events of DESIGN §2. */
export interface Registry {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly limits: Readonly<RegistrationLimits>;
  /** Validates and upserts by name (throws `validation_failed` naming each field). */
  register(input: RegistrationInput | unknown): Promise<RegisterResult>;
  get(name: string): Promise<ServiceView | null>;
  /** Sorted by name; `status` filters on the effective status. */
  list(filter?: { tag?: string; status?: HealthStatus }): Promise<ServiceView[]>;
  /** False when no such service was registered. */
  remove(name: string, reason?: string): Promise<boolean>;
  /** Renews the lease and `last_seen`; `ttlSeconds` starts or changes the lease. Throws `not_found` when unknown. */
  heartbeat(name: string, options?: { ttlSeconds?: number }): Promise<ServiceView>;
  /** Maintenance holds the status at `maintenance` and suspends lease expiry; leaving it starts from `down`. */
  setMaintenance(name: string, enabled: boolean): Promise<ServiceView>;
  /** Stores a probe's outcome (used by the health checker); null when the service is gone or its health URL changed. */
  recordCheck(name: string, outcome: CheckOutcome): Promise<ServiceView | null>;
  /** One lease pass: marks run-out leases `down`, deregisters those down for longer than critical-for. */
  expireLeases(): Promise<ExpiryResult>;
  /** The health report from stored state, without probing. */
  health(): Promise<HealthReport>;
  /** The change feed's position: grows with every change to any record. */
  version(): Promise<number>;
  /** Resolves with the version once it passes `after`, or with the current one on timeout or abort. */
  waitForChange(after: number, options?: WaitForChangeOptions): Promise<number>;
  /** Changes made through this registry object. Returns the unsubscribe function. */
  subscribe(listener: (change: RegistryChange) => void): () => void;
  /** Releases waiters on the change feed. */
  close(): void;
}

// ---------------------------------------------------------------- the health checker

export interface HealthCheckerOptions {
  registry: Registry;
  /** Default: the registry's clock. */
  clock?: Clock;
  /** Probes in flight at once. Default 16. */
  concurrency?: number;
  /** Per-probe deadline unless a service's check sets `timeout_ms`. Default 5000 ms. */
  timeoutMs?: number;
  /** Conditions for services whose registration has no `check`. Default: any 2xx. */
  conditions?: ProbeConditions;
  /** Largest body read for a body condition. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Headers sent with every probe. */
  headers?: Record<string, string>;
  /**
   * Where probes may go. Default: private and loopback allowed (services are internal), link-local and cloud
   * metadata refused. Checked at registration (`vetHealthUrl`) and at every connection.
   */
  egress?: EgressPolicy;
  /**
   * An undici dispatcher to probe through. Default: an own keep-alive Agent connecting through the egress policy,
   * closed by `close()`. Build your own with `connect: egressConnector(egress)` so the connected address is
   * judged; otherwise each probe URL is checked (looked up) before the probe.
   */
  dispatcher?: Dispatcher;
  /** Where problems go (a result that could not be stored). Default: core's stderr logger, component `registry.checker`. */
  logger?: Logger;
  /** Called when storing a result fails; the pass carries on. Default: logged as an error. */
  onError?: (error: unknown) => void;
}

export interface CheckAllOptions {
  signal?: AbortSignal;
  /** Probe only services with this tag. */
  tag?: string;
}

/** Probes registered services and stores what it finds. */
export interface HealthChecker {
  /** Probes every registered service (bounded concurrency) and returns the report; concurrent calls share one pass. */
  checkAll(options?: CheckAllOptions): Promise<HealthReport>;
  /** Probes one service now; throws `not_found` when unknown. */
  checkService(name: string, options?: { signal?: AbortSignal }): Promise<ServiceHealth>;
  /**
   * Throws `validation_failed` naming `health_url` when the egress policy refuses the URL (it is looked up: a name
   * resolving to a metadata or deny-listed address is refused). A name that does not resolve yet passes.
   */
  vetHealthUrl(url: string): Promise<void>;
  /** Epoch ms when the last full pass finished, or null. */
  lastPassAt(): number | null;
  /** Closes the keep-alive connections of an own dispatcher. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- self-registration

/** How the client proves itself to the control plane. */
export interface SelfRegistrationAuth {
  /** Sent as `X-User-Roles` (the seed's header, for trusted networks). */
  roles?: readonly string[];
  /** Sent as `Authorization: Bearer …`. A function is called before every request, so tokens can rotate. */
  bearer?: string | (() => string | Promise<string>);
  /** Any other headers. */
  headers?: Record<string, string>;
}

export type SelfRegistrationState = 'starting' | 'registered' | 'unreachable' | 'rejected' | 'stopped';

/** What the client reports as it goes; failures are reported, never thrown. */
export interface SelfRegistrationEvent {
  type: 'registered' | 'renewed' | 'failed' | 'deregistered';
  /** For `failed`: what went wrong. */
  error?: string;
  /** For `failed`: the control plane answered with a status that retrying will not fix (400, 401, 403, …). */
  permanent?: boolean;
}

export interface SelfRegistrationOptions {
  /** Base URL of the control plane, e.g. `http://command-center:8010`. */
  controlPlaneUrl: string;
  /** The registration body (validated at once: a bad one throws `validation_failed`). */
  service: Omit<RegistrationInput, 'ttl_seconds'>;
  auth: SelfRegistrationAuth;
  /** Lease length; null registers without a lease (heartbeats then only refresh `last_seen`). Default 90. */
  ttlSeconds?: number | null;
  /** How often to renew. Default: a third of the lease, or 30 000 ms without one. */
  heartbeatIntervalMs?: number;
  /** Each registration attempt is retried this way (p-retry) before waiting for the next heartbeat tick. */
  retry?: { retries?: number; minTimeoutMs?: number; maxTimeoutMs?: number };
  /** Per-request deadline. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Deregistration on stop waits at most this long. Default 2000 ms. */
  deregisterTimeoutMs?: number;
  clock?: Clock;
  /** Stops (and deregisters) when aborted. */
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  /** Default: logs the first failure of a streak as a warning, and the registration that ends it. */
  onEvent?: (event: SelfRegistrationEvent) => void;
  /** Where the default `onEvent` logs. Default: warnings and errors on stderr. */
  logger?: Logger;
}

/** A running self-registration. */
export interface SelfRegistration {
  state(): SelfRegistrationState;
  /** True once registered, false if `timeoutMs` passes or the client stops first. Never rejects. */
  waitUntilRegistered(timeoutMs?: number): Promise<boolean>;
  /** Stops renewing and, unless told not to, deregisters. Never throws. */
  stop(options?: { deregister?: boolean }): Promise<void>;
}

// ---------------------------------------------------------------- routes

export interface RegistryRoutesOptions {
  registry: Registry;
  /** Lets `GET /ops/health` probe when stored results are stale (or `?fresh=true`). Without it, stored state is reported. */
  checker?: HealthChecker;
  /** `GET /ops/health` probes again when a service's last result is older than this. Default 30 000 ms. */
  maxAgeMs?: number;
  /** Longest blocking wait of `GET /ops/services?index=…&wait=…`, in seconds. Default 300. */
  maxWaitSeconds?: number;
  /** Permission every route needs. Default `ops:operate` (DESIGN §3). */
  permission?: Permission;
}
