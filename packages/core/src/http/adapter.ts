import type { AuditLog } from '../audit/audit-log.js';
import type { EventBus } from '../events/bus.js';
import type { Policy } from '../rbac/policy.js';
import type { Logger } from '../logger.js';
import type { PrincipalResolver } from '../rbac/principal.js';
import type { MetricsRegistry } from '../runtime/module.js';

/** Options every HTTP adapter (Express, Fastify, or a third party's) accepts and honours the same way. */
export interface HttpAdapterOptions {
  /** Name written into audit records and `security.rbac.violation` events. */
  service: string;
  /** Default: the roles and permissions of DESIGN §3. */
  policy?: Policy;
  /** Who is asking. Default: the `X-User-Roles` header. Several are tried in order. */
  principal?: PrincipalResolver | readonly PrincipalResolver[];
  /** One record per request, for every request the app serves. Omit to not audit. */
  audit?: AuditLog;
  /** Where 403s are published as `security.rbac.violation`. */
  bus?: EventBus;
  /** Largest JSON body in bytes, unless a route sets its own. Default 64 KiB. */
  bodyLimit?: number;
  /** Bounds for Server-Sent Events streams. */
  sse?: SseLimits;
  /** Where `http_request_duration_seconds{method,route,status}` is recorded for every request the app serves. */
  metrics?: MetricsRegistry;
  /**
   * W3C Trace Context: `traceparent`/`tracestate` are read and carried through the request (its events, outbound
   * calls, audit record and log lines). `start: true` starts a trace for requests that come without one (it is
   * always started when an OpenTelemetry tracer provider is registered). `false` ignores the headers. Default
   * `{ start: false }`.
   */
  trace?: false | { start?: boolean };
  /** Where unexpected errors are logged when `onError` is not given. */
  logger?: Logger;
  /**
   * Called with unexpected errors (answered as 500); default logs them through `logger`. `where` names the method, the route
   * template, the framework's request id and the trace id, never the request's headers, query or body (they hold
   * secrets).
   */
  onError?: (error: unknown, where: { method: string; path: string; request_id?: string; trace_id?: string }) => void;
}

export interface SseLimits {
  /** Messages queued for a slow client before it is disconnected (it resumes with Last-Event-ID). Default 1000. */
  maxQueuedMessages?: number;
  /** Bytes queued for a slow client before it is disconnected. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Comment line sent this often to keep proxies from closing an idle stream. Default 15 000 ms. */
  heartbeatMs?: number;
  /**
   * Stream writes a second across the process. Streams with output wait in one line that moves at most this fast
   * (after a quiet spell, up to 10 ms of it at once), and each sends in one write whatever reached it while it
   * waited: with few streams nothing waits; 1,000 busy streams at the default take ~50 ms a round, at half the
   * CPU of a write per event. The smallest budget of the open streams applies. 0 writes every event as it comes.
   * Default 20 000.
   */
  writesPerSecond?: number;
}

/** 64 KiB: the default body limit of DESIGN's publish endpoint, and of every route that does not set one. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
