export { AetherError, isAetherError, fieldErrorsFromZod, validationError } from './errors.js';
export type { AetherErrorCode, AetherErrorOptions, FieldError } from './errors.js';

export { systemClock, createManualClock, sleep } from './clock.js';
export { isoTime } from './iso-time.js';
export type { Clock, ManualClock } from './clock.js';

export { uuidv7 } from './ids.js';
export { readJsonPath } from './json-path.js';
export type { JsonPathResult } from './json-path.js';

export { HEALTH_STATUSES, healthStatusSchema, compareHealth, worstStatus } from './health.js';
export type { HealthStatus } from './health.js';

export {
  SEVERITIES,
  severitySchema,
  eventTypeSchema,
  eventInputSchema,
  seedEventInputSchema,
  fromSeedShape,
  parseEventInput,
  isStorableText,
  normalizeEvent,
  toPublicEvent,
} from './events/envelope.js';
export { parseTime, checkTime, nestsDeeperThan, checkStorableEvent, serializeData, TIME_RANGE, MAX_DATA_DEPTH } from './events/limits.js';
export type { Severity, EventInput, SeedEventInput, CloudEvent, StoredEvent, PublicEvent, ParsedEventInput } from './events/envelope.js';
export { BUILTIN_EVENT_TYPES, severityOf } from './events/builtin-types.js';
export type { EventTypeDefinition } from './events/builtin-types.js';
export { createSchemaRegistry } from './events/schema-registry.js';
export type { SchemaRegistry, SchemaRegistryOptions, EventTypeDescription } from './events/schema-registry.js';
export { compileFilter, splitTypes, filterValues, parseSince, MAX_FILTER_VALUES } from './events/filter.js';
export type { EventFilter, EventPredicate } from './events/filter.js';
export { createEventBus, encodeCursor, decodeCursor } from './events/bus.js';
export { MAX_BUCKETS, MIN_BUCKET_MS, parseBucket, planBuckets, checkBucketQuery, bucketIndex, seriesFrom } from './events/buckets.js';
export type { EventSeries, EventSeriesBucket } from './events/buckets.js';
export type { EventBus, EventBusOptions, PublishResult, EventPage, EventPageQuery, EmitOptions, EventListener, SubscribeOptions } from './events/bus.js';
export { eventRoutes } from './events/routes.js';
export { binaryModeEvent, inBinaryModeTerms } from './events/content-modes.js';
export type { EventRoutesOptions } from './events/routes.js';

export {
  memoryStores,
  memoryEventStore,
  memoryAuditStore,
  memoryRegistryStore,
  memoryDocumentStore,
  memoryDeliveryStore,
  memoryHealHistoryStore,
} from './stores/memory/index.js';
export type { MemoryEventStoreOptions } from './stores/memory/index.js';
export {
  DELIVERY_STATUSES,
  UNFINISHED_DELIVERY_STATUSES,
  afterAttempt,
  afterOutcome,
  attemptOf,
  auditStatsFrom,
  cloneRecord,
  countAudit,
  decodeDeliveryCursor,
  definedOnly,
  deliveryIdTaken,
  emptyDeliveryCounts,
  emptySeverityCounts,
  encodeDeliveryCursor,
  newDelivery,
  prefixRange,
  replayOf,
  timeParam,
  upsertOver,
  patchOver,
  revisionMatches,
} from './stores/shared.js';
export { checkPurgeRequest, purgeCount, isPurgeableDelivery, FINISHED_DELIVERY_STATUSES } from './stores/purge.js';
export type { CheckedPurge } from './stores/purge.js';
export type {
  EventStore,
  EventQuery,
  EventStats,
  EventBucketQuery,
  EventBucketCount,
  AppendResult,
  AuditStore,
  AuditQuery,
  StoredAuditRecord,
  RegistryStore,
  RegistryFilter,
  ServiceRecord,
  ServiceInput,
  ServicePatch,
  RevisionCondition,
  ServiceCheck,
  DocumentStore,
  CollectionSpec,
  StoredDocument,
  DocumentWriteOptions,
  DocumentListQuery,
  IndexValue,
  DeliveryStore,
  DeliveryStatus,
  DeliveryInput,
  DeliveryRecord,
  DeliveryAttempt,
  DeliveryOutcome,
  DeliveryCancelRequest,
  EndpointAttempt,
  DeliveryLeaseRequest,
  DeliveryHistoryQuery,
  DeliveryStats,
  HealHistoryStore,
  HealRecord,
  HealOutcome,
  PurgeRequest,
  DeadLetterPurge,
  HealProbe,
  HealTally,
  HealHistoryQuery,
  Stores,
} from './stores/types.js';
export {
  checkDocumentId,
  collectionName,
  documentKeys,
  isVersionConflict,
  jsonDocument,
  listPlan,
  resolveCollection,
  uniqueConflict,
  versionConflict,
  writeCondition,
} from './stores/documents.js';
export type { DocumentKey, ListPlan, ResolvedCollection } from './stores/documents.js';
export { defineCollection, collection } from './stores/collection.js';
export type { Collection, CollectionDefinition, CollectionOptions, DocumentWhere } from './stores/collection.js';
export { alertRulesCollection, alertRuleSchema } from './stores/alert-rules.js';
export type { AlertRule } from './stores/alert-rules.js';

export { PERMISSIONS, DEFAULT_ROLES, createPolicy, defaultPolicy, authorize } from './rbac/policy.js';
export type { Permission, RoleTable, Principal, AuthzDecision, Policy, PolicyOptions } from './rbac/policy.js';
export { headerPrincipalResolver, chainResolvers, headerValue, readHeader, readSingleHeader, storedRoles, STORED_ROLES_MAX } from './rbac/principal.js';
export type { PrincipalResolver, RequestLike, HeaderResolverOptions } from './rbac/principal.js';
export { jwtPrincipalResolver } from './rbac/jwt.js';
export type { JwtResolverOptions } from './rbac/jwt.js';

export { createAuditLog } from './audit/audit-log.js';
export type { AuditLog, AuditLogOptions, AuditRecord, AuditEntry, AuditSink, AuditStats } from './audit/audit-log.js';
export { pinoAuditSink, memoryAuditSink, createAuditLineSerializer, redactDeep, SECRET_FIELDS } from './audit/sinks.js';
export type { PinoAuditSinkOptions } from './audit/sinks.js';
export { auditRoutes } from './audit/routes.js';
export { auditStoreSink } from './audit/store-sink.js';
export type { AuditStoreSinkOptions } from './audit/store-sink.js';

export { defineRoute, reply, sse, isHttpResult, isSseResult } from './http/route.js';
export type { HttpMethod, RouteContext, RouteSpec, RouteDocs, AnyRouteSpec, HttpResult, SseResult, SseChannel, SseMessage } from './http/route.js';
export { buildOpenApi, openApiIssues, operationIdOf } from './http/openapi.js';
export { parseRetryAfter } from './http/retry-after.js';
export { statusForCode, codeForStatus } from './http/status.js';
export type { HeaderSource } from './http/retry-after.js';
export type { OpenApiOptions } from './http/openapi.js';
export { DEFAULT_BODY_LIMIT } from './http/adapter.js';
export type { HttpAdapterOptions, SseLimits } from './http/adapter.js';

export { soleLeader } from './runtime/leader.js';
export type { LeaderElection, Campaign } from './runtime/leader.js';
export { createLoop } from './runtime/loop.js';
export type { Loop, LoopOptions } from './runtime/loop.js';
export { instanceId } from './runtime/instance.js';

export { defaultLogger, loggerFor, silentLogger, errorFields } from './logger.js';
export type { Logger, LogFn } from './logger.js';
export type { Module, LoopSpec, ReadinessCheck, CheckResult, MetricsRegistry } from './runtime/module.js';
export { createModuleHost } from './runtime/host.js';
export type { ModuleHost, ModuleHostOptions } from './runtime/host.js';
export { loopCheck, overallStatus } from './runtime/readiness.js';
export type { ReadinessReport, HealthCheckEntry } from './runtime/readiness.js';
export { createShutdown } from './runtime/shutdown.js';
export type { Shutdown, ShutdownOptions, Closable } from './runtime/shutdown.js';
export { createMetricsRegistry, sharedMetric, httpRequestMetric, DURATION_BUCKETS, Counter, Gauge, Histogram } from './metrics.js';
export type { MetricsRegistryOptions, Registry } from './metrics.js';
export { opsRoutes } from './http/ops-routes.js';
export type { OpsRoutesOptions } from './http/ops-routes.js';
export { eventsModule } from './events/module.js';
export { retentionModule } from './retention/module.js';
export type { RetentionModule, RetentionModuleOptions } from './retention/module.js';
export { DEFAULT_RETENTION_POLICY, purgeRequestFor } from './retention/policy.js';
export type { RetentionKind, RetentionPolicy, RetentionRule } from './retention/policy.js';
export type { EventsModuleOptions } from './events/module.js';
export { auditModule } from './audit/module.js';

export { parseIp, parseCidr, inRange, unmapIp, formatIp, classifyAddress, ALWAYS_REFUSED } from './net/addresses.js';
export type { IpAddress, IpRange, AddressKind } from './net/addresses.js';
export { parseEgressRule, compileEgressRules, decideHost, decideAddress, normalizeHost } from './net/egress-rules.js';
export type { EgressRule, EgressRules, EgressRulesOptions, EgressRefusal, EgressRefusalKind, HostDecision } from './net/egress-rules.js';
export { createEgressPolicy, egressRefusedError } from './net/egress.js';
export type { EgressPolicy, EgressPolicyOptions, EgressDecision, ResolvedAddress } from './net/egress.js';
export { storesReadiness } from './stores/readiness.js';
export type { RuntimeAdapter, RuntimeInfo, RuntimeState, RuntimeEvent, RestartOptions } from './runtime/runtime-adapter.js';

export { parseTraceparent, parseTracestate, newTrace, formatTraceparent } from './trace/trace-context.js';
export type { TraceContext } from './trace/trace-context.js';
export { currentTrace, runWithTrace, traceHeaders, traceLogFields } from './trace/context.js';
export { spansEnabled, startSpan, withSpan, inSpan, runInSpan } from './trace/otel.js';
export type { SpanOptions, SpanHandle, SpanKindName } from './trace/otel.js';
