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

/** Whole time buckets to count events in: `[from, from + bucketMs × count)`, epoch ms. Core plans them (`planBuckets`). */
export interface EventBucketQuery {
  from: number;
  bucketMs: number;
  /** 1 to MAX_BUCKETS. */
  count: number;
}

/** Events of one severity whose `time` falls in bucket `bucket` (0-based from `from`); buckets without events are left out. */
export interface EventBucketCount {
  bucket: number;
  severity: Severity;
  n: number;
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
   * Events per time bucket and severity, from an index over `time` (a GROUP BY, never a scan of every event);
   * checks the query with `checkBucketQuery` first.
   */
  countBuckets(query: EventBucketQuery): Promise<EventBucketCount[]>;
  /**
   * Optional: events appended by *other* processes sharing this store (PostgreSQL LISTEN/NOTIFY), so a bus can
   * fan them out locally. Events this process appended are not repeated here.
   */
  watch?(listener: (event: StoredEvent) => void): () => void;
  /**
   * Retention: removes the oldest events (by `seq`; age by `received_at`) as `request` says, in one short
   * transaction; resolves with how many went. `stats` counts only what is left.
   */
  purge?(request: PurgeRequest): Promise<number>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- retention

/**
 * What one retention call removes: the oldest records first, those older than `olderThan` or beyond the newest
 * `keepNewest`, and never more than `limit`, so each call is one short transaction that does not hold writers
 * up. Age follows insertion order: a purge stops at the first record inside the window.
 */
export interface PurgeRequest {
  /** ISO time: records older than it go. */
  olderThan?: string;
  /** Keep at most this many of the newest. */
  keepNewest?: number;
  /** Most records removed by this call (a whole number of at least 1). */
  limit: number;
}

// ---------------------------------------------------------------- audit

export interface AuditQuery {
  limit: number;
  /** `seq` bound (exclusive), for paging to older records. */
  before?: number;
  path?: string;
  status?: number;
  /** Only requests with one of these methods (e.g. the writes: POST, PUT, PATCH, DELETE). */
  methods?: readonly string[];
  /** Only requests to one of these route templates. */
  paths?: readonly string[];
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
  /** Retention: removes the oldest records (age by `ts`); `stats` keep counting them. Resolves with how many went. */
  purge?(request: PurgeRequest): Promise<number>;
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

// ---------------------------------------------------------------- documents (small mutable state)

/** A value a document keeps a key of: what `list` filters on and what a unique field compares. */
export type IndexValue = string | number | boolean | null;

/**
 * What a store needs to know of a collection. A collection needs no setup: the first write creates it, and a
 * store keeps keys for exactly the fields declared here (changing them rebuilds the collection's keys once).
 */
export interface CollectionSpec {
  /** Letters, digits and `_ . : -`, at most 128. */
  readonly name: string;
  /** Top-level fields `list` may filter on; their values must be scalars (a missing field counts as null). */
  readonly indexes?: readonly string[];
  /** Top-level fields no two documents may share a value of (null excepted); also filterable. */
  readonly unique?: readonly string[];
}

/** A document as stored. `version` grows with every write of it and is never reused, even after a remove. */
export interface StoredDocument<T = Record<string, unknown>> {
  id: string;
  version: number;
  data: T;
  created_at: string;
  updated_at: string;
}

/** A write's condition. */
export interface DocumentWriteOptions {
  /**
   * The version the document must have now, where an absent one has version 0 (so `0` means "create only").
   * Left out, the write is unconditional. A mismatch throws `conflict`; nothing is written.
   */
  ifVersion?: number;
}

/** A page of a collection, sorted by id. */
export interface DocumentListQuery {
  /** Equality on declared (indexed or unique) fields, all of which must match. */
  where?: Readonly<Record<string, IndexValue>>;
  /** Default: every match. */
  limit?: number;
  /** An id: only documents after it (exclusive), for paging. */
  after?: string;
}

/**
 * Collections of JSON documents keyed by id, with compare-and-set writes. A conflict (`ifVersion` not met, a
 * unique field's value taken) is `AetherError('conflict')` and never a silent overwrite. Collections are
 * plain names: a new kind of state needs no change in any adapter.
 */
export interface DocumentStore {
  get(collection: CollectionSpec | string, id: string): Promise<StoredDocument | null>;
  /** Creates or replaces `data` (a JSON object) under `id`; returns the stored document with its new version. */
  put(collection: CollectionSpec, doc: { id: string; data: Record<string, unknown> }, options?: DocumentWriteOptions): Promise<StoredDocument>;
  /** False when there was nothing to remove (and `ifVersion`, if given, was 0). */
  remove(collection: CollectionSpec | string, id: string, options?: DocumentWriteOptions): Promise<boolean>;
  /** Sorted by id (code point order); throws `validation_failed` for a `where` field the collection does not declare. */
  list(collection: CollectionSpec, query?: DocumentListQuery): Promise<StoredDocument[]>;
  /** A number that grows with every change: of one collection, or (without one) of the whole store. Reads and refused writes leave it alone. */
  version(collection?: CollectionSpec | string): Promise<number>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- deliveries (a durable queue)

/**
 * pending: never tried, due at `next_attempt_at` · delivering: a worker holds its lease · delivered: done ·
 * retrying: tried, the next try is due at `next_attempt_at` · dead_letter: gave up, kept for replay ·
 * cancelled: dropped before it was delivered (its endpoint was disabled or removed).
 */
export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'retrying' | 'dead_letter' | 'cancelled';

export interface DeliveryInput {
  /** Default: a new UUIDv7. */
  id?: string;
  /** Standard Webhooks `webhook-id`; kept on replay so receivers can dedupe. Default: the delivery id. */
  webhook_id?: string;
  /** The URL the delivery goes to. */
  endpoint: string;
  /** The endpoint (configuration) it goes to, when it has one: health, rate limits and disabling go by it. */
  endpoint_id?: string | null;
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
  endpoint_id: string | null;
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

/** One try at delivering. `error` is null exactly when the try succeeded. */
export interface DeliveryAttempt {
  attempt: number;
  at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** What the receiver answered, cut to its first 20 KB by the sender; null when nothing came back. */
  response_body: string | null;
}

/** An attempt as `attempts()` lists it: which delivery it was for. */
export type EndpointAttempt = DeliveryAttempt & { delivery_id: string };

/**
 * What became of one leased delivery. `failed` with `retryAt` null dead-letters it; `released` puts it back
 * untried (rate limited, shutting down) to be due at `retryAt`; `cancelled` drops it untried.
 */
export type DeliveryOutcome =
  | { id: string; outcome: 'delivered'; attempt: DeliveryAttempt }
  | { id: string; outcome: 'failed'; attempt: DeliveryAttempt; retryAt: number | null }
  | { id: string; outcome: 'released'; at: number; retryAt: number }
  | { id: string; outcome: 'cancelled'; at: number; reason: string };

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
  endpoint_id?: string;
  tenantid?: string;
  /** Only these deliveries (unknown ids are simply not in the answer). */
  ids?: readonly string[];
  limit: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** Unfinished deliveries to cancel: pending and retrying ones matching every given field. */
export interface DeliveryCancelRequest {
  ids?: readonly string[];
  endpoint_id?: string;
  /** Recorded as the deliveries' `last_error`. */
  reason: string;
  now: number;
}

export interface DeliveryStats {
  total: number;
  by_status: Record<DeliveryStatus, number>;
  /** Due now or overdue, not leased. */
  due: number;
  /** `created_at` of the oldest unfinished (pending, delivering, retrying) item. */
  oldest_pending_at: string | null;
  /** `next_attempt_at` of the item that has waited longest for a worker since it became due. */
  oldest_due_at: string | null;
}

export interface DeliveryStore {
  enqueue(input: DeliveryInput, now: number): Promise<DeliveryRecord>;
  /**
   * Leases up to `limit` due items (pending or retrying with `next_attempt_at <= now`, or delivering with an
   * expired lease), oldest due first, each to exactly one caller even when several processes lease at once.
   */
  lease(request: DeliveryLeaseRequest): Promise<DeliveryRecord[]>;
  /**
   * Records what became of leased items, all in one transaction (a worker's group commit). One boolean per
   * outcome, in order: false when `owner` no longer holds that lease (nothing changes for it then).
   */
  settle(owner: string, outcomes: readonly DeliveryOutcome[]): Promise<boolean[]>;
  /** Cancels unfinished items that no worker holds; the count cancelled. */
  cancel(request: DeliveryCancelRequest): Promise<number>;
  /** Returns items whose lease ran out to the queue; the count of items released. */
  releaseExpired(now: number): Promise<number>;
  get(id: string): Promise<(DeliveryRecord & { attempt_log: DeliveryAttempt[] }) | null>;
  /** Newest first. */
  history(query: DeliveryHistoryQuery): Promise<{ deliveries: DeliveryRecord[]; next_cursor: string | null }>;
  /** The latest attempts at one endpoint's deliveries, newest first: what its health is judged on. */
  attempts(query: { endpoint_id: string; limit: number }): Promise<EndpointAttempt[]>;
  /**
   * Enqueues a fresh copy of each (new id, attempts reset, same `webhook_id`, `replay_of` set) in one
   * transaction; unknown ids are reported, not fatal.
   */
  replay(ids: readonly string[], now: number): Promise<{ replayed: DeliveryRecord[]; missing: string[] }>;
  stats(now: number): Promise<DeliveryStats>;
  /**
   * Retention: removes finished deliveries (delivered or cancelled, and dead letters that were replayed) with
   * their attempts, oldest `created_at` first. Dead letters never replayed stay until `purgeDeadLetters`.
   */
  purgeFinished?(request: PurgeRequest): Promise<number>;
  /** Removes dead letters on an operator's say-so: those listed (or all) created before `olderThan`, at most `limit`. */
  purgeDeadLetters?(request: DeadLetterPurge): Promise<number>;
  close?(): Promise<void>;
}

/** Which dead letters `purgeDeadLetters` removes. */
export interface DeadLetterPurge {
  /** Only these ids (others are left alone). Default: any dead letter. */
  ids?: readonly string[];
  /** ISO time: only dead letters created before it. */
  olderThan?: string;
  limit: number;
}

// ---------------------------------------------------------------- auto-heal history

/** succeeded: restarted and verified · failed: the restart failed or was not verified · skipped: a restart was due and held back. */
export type HealOutcome = 'succeeded' | 'failed' | 'skipped';

/** What the check that led to an attempt saw (never a URL: viewers read heal history). */
export interface HealProbe {
  /** The check's name (`http`, `tcp`, `runtime` or a custom name). */
  check: string;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
}

/** One heal attempt (or a restart that was due and skipped), written once its outcome is known. */
export interface HealRecord {
  id: string;
  /** When the outcome was recorded. */
  ts: string;
  service: string;
  /** What was done or considered: `restart`. */
  action: string;
  outcome: HealOutcome;
  /** Why, as a code: `threshold_reached` for an attempt; `maintenance`, `dry_run`, `manual_stop`, … for a skip. */
  reason: string;
  /** The same for people. */
  message: string;
  /** The failing check that made the restart due. */
  probe: HealProbe | null;
  /** The attempt's number in its backoff streak (1 for the first restart). */
  attempt: number | null;
  /** The backoff it waited before this attempt, in milliseconds. */
  delay_ms: number | null;
  /** When the failure streak behind it began. */
  detected_at: string | null;
  /** When the restart began. */
  started_at: string | null;
  /** From the restart to its outcome (verified, or given up). */
  duration_ms: number | null;
  /** Why it failed; null otherwise. */
  error: string | null;
}

/** How many records one service has with one outcome. */
export interface HealTally {
  service: string;
  outcome: HealOutcome;
  count: number;
}

export interface HealHistoryQuery {
  limit: number;
  service?: string;
  outcome?: HealOutcome;
}

/** Heal history: appended, listed newest first and tallied; what the tallies mean is the auto-heal package's to say. */
export interface HealHistoryStore {
  append(record: HealRecord): Promise<void>;
  /** Newest first. */
  list(query: HealHistoryQuery): Promise<HealRecord[]>;
  count(): Promise<number>;
  /** Records per service and outcome, over every record the store counts. */
  tally(): Promise<HealTally[]>;
  /** Retention: removes the oldest records (age by `ts`); `count` and `tally` keep counting them. Resolves with how many went. */
  purge?(request: PurgeRequest): Promise<number>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- all of them

/** Every store a control plane needs, from one backend. */
export interface Stores {
  readonly kind: string;
  events: EventStore;
  audit: AuditStore;
  registry: RegistryStore;
  /** Small mutable state: alert rules and their states, silences, endpoints, auto-heal state, … */
  documents: DocumentStore;
  deliveries: DeliveryStore;
  heal: HealHistoryStore;
  /** Resolves when the backing database answers a trivial query; throws `unavailable` when it does not. */
  ping?(): Promise<void>;
  /** Closes connections and flushes pending writes. */
  close(): Promise<void>;
}
