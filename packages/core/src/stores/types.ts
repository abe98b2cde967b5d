import type { AuditRecord, AuditStats } from '../audit/audit-log.js';
import type { CloudEvent, Severity, StoredEvent } from '../events/envelope.js';
import type { EventFilter } from '../events/filter.js';
import type { HealthStatus } from '../health.js';

// Interfaces only. Every store resolves a write only once it is durable by its own standard, and throws
// AetherError('unavailable') when its backing service cannot be reached (the HTTP layer answers 503).

// ---------------------------------------------------------------- events

/** A page request against the event store. `before`/`after` are `seq` bounds (exclusive). */
export interface EventQuery extends EventFilter {
  limit: number;
  /** `desc` (newest first, the default) or `asc`. */
  order?: 'asc' | 'desc';
  before?: number;
  after?: number;
}

export interface EventStats {
  total: number;
  last_24h: number;
  by_severity: Record<Severity, number>;
}

export interface AppendResult {
  event: StoredEvent;
  /** False when an event with the same `source` and `id` was already stored; `event` is then the stored one. */
  inserted: boolean;
}

/**
 * Where events live. `source` + `id` is unique; `seq` increases with every insert.
 */
export interface EventStore {
  readonly kind: string;
  append(event: CloudEvent, receivedAt: string): Promise<AppendResult>;
  query(query: EventQuery): Promise<StoredEvent[]>;
  stats(now: number): Promise<EventStats>;
  /**
   * Optional: events appended by *other* processes sharing this store (PostgreSQL LISTEN/NOTIFY), so a bus can
   * fan them out locally. Events this process appended are not repeated here.
   */
  watch?(listener: (event: StoredEvent) => void): () => void;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- audit

export interface AuditQuery {
  limit: number;
  /** `seq` bound (exclusive), for paging to older records. */
  before?: number;
  path?: string;
  status?: number;
  /** ISO time: records at or after it. */
  since?: string;
}

export type StoredAuditRecord = AuditRecord & { seq: number };

/** A queryable audit trail whose counts survive restarts. */
export interface AuditStore {
  /** Appends a batch; counts (by path, by status, denials) move in the same transaction. */
  append(records: readonly AuditRecord[]): Promise<void>;
  /** Newest first. */
  query(query: AuditQuery): Promise<StoredAuditRecord[]>;
  stats(): Promise<AuditStats>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- registry

/** The last health probe of a service. */
export interface ServiceCheck {
  checked_at: string;
  latency_ms: number | null;
  error: string | null;
}

/** A registered service as the registry keeps it (DESIGN §4 plus leases, check settings and meta). */
export interface ServiceRecord {
  name: string;
  url: string;
  health_url: string;
  version: string | null;
  roles_required: string[];
  tags: string[];
  /** The registrant's own keys only. */
  meta: Record<string, string>;
  /** Lease length in seconds; null when the service does not heartbeat. */
  ttl_seconds: number | null;
  /** How the health checker judges this service: a JSON document the store keeps as written; null for the defaults. */
  check: Record<string, unknown> | null;
  status: HealthStatus;
  /** When `status` last changed. */
  status_since: string;
  registered_at: string;
  last_seen: string;
  /** Null when the service does not heartbeat (registered without a lease). */
  lease_expires_at: string | null;
  last_check: ServiceCheck | null;
  /**
   * Set by the store on every write of the record, to a number greater than any revision the name had before
   * (also across a removal and a new registration), so an equal revision means "unchanged since read".
   */
  revision: number;
}

/** A service as written with `upsert`: the store assigns the revision. */
export type ServiceInput = Omit<ServiceRecord, 'revision'>;

/** The fields `patch` may change. */
export type ServicePatch = Partial<Omit<ServiceRecord, 'name' | 'registered_at' | 'revision'>>;

/** Makes a write conditional: it happens only while the record's revision is still this one. */
export interface RevisionCondition {
  ifRevision?: number;
}

export interface RegistryFilter {
  tag?: string;
  status?: HealthStatus;
}

/**
 * Services by name. Every mutation moves `version()` forward, which backs the registry's change feed, and gives
 * the record a new `revision`, which makes read-decide-write sequences safe across instances: a write with
 * `{ ifRevision }` is refused (null / false, never an exception) once anyone else wrote the record in between.
 */
export interface RegistryStore {
  /** Inserts or replaces by name, atomically; `registered_at` of an existing record is kept. */
  upsert(record: ServiceInput): Promise<{ record: ServiceRecord; created: boolean }>;
  get(name: string): Promise<ServiceRecord | null>;
  /** Sorted by name. */
  list(filter?: RegistryFilter): Promise<ServiceRecord[]>;
  /**
   * Changes some fields of one record. Null when it does not exist or, with `ifRevision`, when its revision is no
   * longer that one (read it again to tell which). `name`, `registered_at` and `revision` are never patched.
   */
  patch(name: string, patch: ServicePatch, condition?: RevisionCondition): Promise<ServiceRecord | null>;
  /** False when it does not exist or, with `ifRevision`, when its revision is no longer that one. */
  remove(name: string, condition?: RevisionCondition): Promise<boolean>;
  /** A number that grows with every change to any record. */
  version(): Promise<number>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- alert rules

/** An alert rule as stored: the store keeps `spec` and `state` as documents and knows nothing of their meaning. */
export interface RuleRecord {
  id: string;
  /** Unique among rules. */
  name: string;
  enabled: boolean;
  /** What the rule matches and when it fires (event_type, severity, window_seconds, threshold, for, …). */
  spec: Record<string, unknown>;
  /** The evaluator's memory (pending/firing since, last notification); null until it first runs. */
  state: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export interface RuleInput {
  id?: string;
  name: string;
  enabled?: boolean;
  spec: Record<string, unknown>;
}

export interface RuleStore {
  /** Throws `conflict` when the name or id is taken. */
  create(input: RuleInput, now: string): Promise<RuleRecord>;
  get(id: string): Promise<RuleRecord | null>;
  /** Oldest first. */
  list(filter?: { enabled?: boolean }): Promise<RuleRecord[]>;
  /** Throws `conflict` when renaming onto another rule's name; null when the rule does not exist. */
  update(id: string, patch: { name?: string; enabled?: boolean; spec?: Record<string, unknown> }, now: string): Promise<RuleRecord | null>;
  setState(id: string, state: Record<string, unknown> | null): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- deliveries (a durable queue)

/**
 * pending: never tried · failed: tried, retry scheduled · leased: a worker holds it ·
 * delivered: done · dead_letter: gave up, kept for replay.
 */
export type DeliveryStatus = 'pending' | 'failed' | 'leased' | 'delivered' | 'dead_letter';

export interface DeliveryInput {
  /** Default: a new UUIDv7. */
  id?: string;
  /** Standard Webhooks `webhook-id`; kept on replay so receivers can dedupe. Default: the delivery id. */
  webhook_id?: string;
  endpoint: string;
  payload: unknown;
  headers?: Record<string, string>;
  max_attempts: number;
  /** Default: now (due at once). */
  next_attempt_at?: string;
  event_type?: string | null;
  event_id?: string | null;
  rule_id?: string | null;
  tenantid?: string | null;
}

export interface DeliveryRecord {
  id: string;
  webhook_id: string;
  endpoint: string;
  payload: unknown;
  headers: Record<string, string>;
  status: DeliveryStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: string | null;
  lease_owner: string | null;
  leased_until: string | null;
  last_error: string | null;
  last_status_code: number | null;
  event_type: string | null;
  event_id: string | null;
  rule_id: string | null;
  tenantid: string | null;
  replay_of: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/** One try at delivering. */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface DeliveryLeaseRequest {
  /** Who takes the lease (an instance id). */
  owner: string;
  now: number;
  /** How long the lease lasts; an unfinished item becomes due again after it. */
  leaseMs: number;
  limit: number;
}

export interface DeliveryHistoryQuery {
  status?: DeliveryStatus | readonly DeliveryStatus[];
  /** ISO time: deliveries created at or after it. */
  since?: string;
  endpoint?: string;
  tenantid?: string;
  limit: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface DeliveryStats {
  total: number;
  by_status: Record<DeliveryStatus, number>;
  /** Due now or overdue, not leased. */
  due: number;
  oldest_pending_at: string | null;
}

export interface DeliveryStore {
  enqueue(input: DeliveryInput, now: number): Promise<DeliveryRecord>;
  /**
   * Leases up to `limit` due items (pending or failed with `next_attempt_at <= now`, or leased with an expired
   * lease), oldest due first, each to exactly one caller even when several processes lease at once.
   */
  lease(request: DeliveryLeaseRequest): Promise<DeliveryRecord[]>;
  /** Marks a leased item delivered. False when `owner` no longer holds the lease (nothing changes then). */
  complete(id: string, owner: string, attempt: DeliveryAttempt): Promise<boolean>;
  /**
   * Records a failed try: `retryAt` (epoch ms) schedules the next one (status failed); null moves the item to
   * the dead letter. False when `owner` no longer holds the lease.
   */
  fail(id: string, owner: string, attempt: DeliveryAttempt, retryAt: number | null): Promise<boolean>;
  /** Returns items whose lease ran out to the queue; the count of items released. */
  releaseExpired(now: number): Promise<number>;
  get(id: string): Promise<(DeliveryRecord & { attempt_log: DeliveryAttempt[] }) | null>;
  /** Newest first. */
  history(query: DeliveryHistoryQuery): Promise<{ deliveries: DeliveryRecord[]; next_cursor: string | null }>;
  /**
   * Enqueues a fresh copy of each (new id, attempts reset, same `webhook_id`, `replay_of` set) in one
   * transaction; unknown ids are reported, not fatal.
   */
  replay(ids: readonly string[], now: number): Promise<{ replayed: DeliveryRecord[]; missing: string[] }>;
  stats(now: number): Promise<DeliveryStats>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- auto-heal history

export type HealOutcome = 'succeeded' | 'failed' | 'skipped';

export interface HealRecord {
  id: string;
  ts: string;
  service: string;
  /** What was done or considered: restart, quarantine, release, … */
  action: string;
  outcome: HealOutcome;
  message: string;
  duration_ms: number | null;
  attempt: number | null;
}

export interface HealStats {
  /** Succeeded + failed (skips are not attempts). */
  total_attempts: number;
  successful: number;
  failed: number;
  /** successful / total_attempts, 0 when there were none. */
  success_rate: number;
  /** Attempts per service. */
  services: Record<string, number>;
  most_healed: string | null;
}

export interface HealHistoryStore {
  append(record: HealRecord): Promise<void>;
  /** Newest first. */
  list(query: { limit: number; service?: string }): Promise<HealRecord[]>;
  count(): Promise<number>;
  stats(): Promise<HealStats>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- all of them

/** Every store a control plane needs, from one backend. */
export interface Stores {
  readonly kind: string;
  events: EventStore;
  audit: AuditStore;
  registry: RegistryStore;
  rules: RuleStore;
  deliveries: DeliveryStore;
  heal: HealHistoryStore;
  /** Closes connections and flushes pending writes. */
  close(): Promise<void>;
}
