import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AetherError,
  chainResolvers,
  currentTrace,
  newTrace,
  parseTraceparent,
  runInSpan,
  runWithTrace,
  spansEnabled,
  startSpan,
  defaultPolicy,
  DEFAULT_BODY_LIMIT,
  errorFields,
  fieldErrorsFromZod,
  headerPrincipalResolver,
  httpRequestMetric,
  isHttpResult,
  isSseResult,
  loggerFor,
  storedRoles,
  validationError,
  type AnyRouteSpec,
  type AuditEntry,
  type FieldError,
  type HttpAdapterOptions,
  type Permission,
  type Principal,
  type PrincipalResolver,
  type RequestLike,
  type RouteContext,
  type SpanHandle,
  type SseResult,
  type TraceContext,
} from '@aetherlink/core';
import { toProblem, type Problem } from './problem.js';

/** A request as both frameworks can describe it. */
export interface NeutralRequest {
  method: string;
  /** The route template, e.g. `/ops/services/{name}`. */
  path: string;
  /** Read only to answer an error: it may be a getter. */
  url: string;
  params: unknown;
  /** Read only when the route validates the query or the handler asks: it may be a getter. */
  query: unknown;
  body: unknown;
  ip: string;
  /** The raw request: headers are read from it only when something asks (Node builds them lazily). */
  raw: IncomingMessage;
  /** The raw response: a handler's AbortSignal is derived from it only if the handler asks. */
  res: ServerResponse;
  /** The framework's request id, when it gives one (Fastify does), for the error log. */
  id?: string;
}

export type Outcome = (
  | { type: 'send'; status: number; headers: Record<string, string>; body: unknown; contentType: string; principal: Principal | null }
  | { type: 'sse'; result: SseResult; principal: Principal | null }
) & {
  /** The request's trace, when it was traced: adapters hand it to `finished` for the audit record. */
  trace?: TraceContext;
};

export type Access = { ok: true; principal: Principal | null } | { ok: false; problem: Problem; principal: Principal | null };

/** Where an error happened: all the error log ever learns of a request (never its headers or body). */
export interface Where {
  method: string;
  /** Route template, or `<unmatched>`. */
  path: string;
  /** The request's own URL, for the problem's `instance` only: it may carry secrets in its query, so it is not logged. */
  url: string;
  /** The framework's request id, when it gives one. */
  id?: string | undefined;
}

/** Who is asking where, for RBAC decisions and violation events. */
export interface AccessWhere {
  method: string;
  /** Route template. */
  path: string;
  ip: string;
  /** The request's own URL, for the problem's `instance`. Default: the template. */
  url?: string;
}

/** The behaviour both adapters share: principal, RBAC, validation, handler, errors. Adapters only translate. */
export interface HttpCore {
  readonly options: HttpAdapterOptions;
  readonly bodyLimit: number;
  /**
   * Records one answered request: its audit entry and its duration metric. Undefined when neither audit nor
   * metrics are configured, so adapters add no per-request hook then.
   */
  readonly finished:
    | ((method: string, path: string, principal: Principal | null | undefined, status: number, ip: string, durationMs: number, trace?: TraceContext) => void)
    | undefined;
  /** Resolves the principal and checks the permission; publishes `security.rbac.violation` on 403. */
  checkAccess(permission: Permission, request: RequestLike, where: AccessWhere): Promise<Access>;
  /**
   * Runs a route spec end to end; never throws or rejects. Synchronous when the principal resolver and the
   * handler are, so the common path allocates no promises.
   */
  run(route: AnyRouteSpec, request: NeutralRequest): Outcome | Promise<Outcome>;
  /** Answers an error as problem+json, logging it when unexpected. */
  problem(error: unknown, where: Where): Problem;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

// A class rather than an object literal: no closures are made per request, and `signal` costs nothing unless read.
// The query is read from the request only when the route validates it or the handler asks: Express parses it on
// every read of `req.query`, and most routes never look.
const UNREAD: unique symbol = Symbol('unread');
class Context implements RouteContext {
  #req: NeutralRequest;
  #query: unknown;
  #signal: AbortSignal | undefined;
  constructor(
    readonly params: unknown,
    query: unknown,
    readonly body: unknown,
    readonly principal: Principal | null,
    readonly ip: string,
    req: NeutralRequest,
  ) {
    this.#req = req;
    this.#query = query;
  }
  get query(): unknown {
    return this.#query === UNREAD ? (this.#query = this.#req.query) : this.#query;
  }
  get headers(): RequestLike['headers'] {
    return this.#req.raw.headers;
  }
  get signal(): AbortSignal {
    return (this.#signal ??= signalFor(this.#req.res));
  }
  get trace(): TraceContext | undefined {
    return currentTrace();
  }
}

/**
 * Builds the shared HTTP behaviour from adapter options.
 * @example const core = createHttpCore({ service: 'billing', audit })
 */
export function createHttpCore(options: HttpAdapterOptions): HttpCore {
  const policy = options.policy ?? defaultPolicy;
  const resolvers = options.principal === undefined ? [headerPrincipalResolver()] : ([] as PrincipalResolver[]).concat(options.principal);
  const resolve: PrincipalResolver = resolvers.length === 1 ? resolvers[0]! : chainResolvers(resolvers);
  const onError =
    options.onError ??
    ((error: unknown, where: { method: string; path: string; request_id?: string; trace_id?: string }) => {
      loggerFor(options.logger, 'http').error({ err: errorFields(error), ...where }, `${where.method} ${where.path} failed unexpectedly`);
    });
  const audit = options.audit;
  const observe = options.metrics ? httpRequestMetric(options.metrics) : undefined;
  const finished: HttpCore['finished'] =
    audit || observe
      ? (method, path, principal, status, ip, durationMs, trace) => {
          audit?.record(auditEntry(method, path, principal, status, ip, durationMs, trace?.traceId));
          observe?.(method, path, status, durationMs / 1000);
        }
      : undefined;

  // Only these fields reach the log: the request itself holds the Authorization header and the body.
  const report = (error: unknown, where: { method: string; path: string; id?: string | undefined }) => {
    const named: { method: string; path: string; request_id?: string; trace_id?: string } = { method: where.method, path: where.path };
    if (where.id !== undefined) named.request_id = where.id;
    const trace = currentTrace();
    if (trace !== undefined) named.trace_id = trace.traceId;
    onError(error, named);
  };
  const tracing = options.trace === false ? undefined : { start: options.trace?.start === true };

  const problem = (error: unknown, where: Where): Problem => {
    const p = toProblem(error, where.url);
    if (p.unexpected) report(error, where);
    return p;
  };

  const denied = (permission: Permission, principal: Principal | null, request: AccessWhere): Access => {
    if (!principal) {
      const err = new AetherError('unauthorized', 'credentials are required: send X-User-Roles or a bearer token', {
        details: { www_authenticate: 'Bearer realm="aetherlink"' },
      });
      return { ok: false, principal, problem: problem(err, { ...request, url: request.url ?? request.path }) };
    }
    // Roles come from the caller: store (and echo) a bounded list, however many were sent.
    const roles = storedRoles(principal.roles);
    const cut = roles.length < principal.roles.length;
    options.bus
      ?.emit(
        'security.rbac.violation',
        {
          method: request.method,
          path: request.path,
          permission,
          roles: [...roles],
          ...(roles !== principal.roles ? { roles_count: principal.roles.length } : {}),
          client_ip: request.ip,
          ...(principal.id ? { principal: principal.id } : {}),
        },
        { source: options.service },
      )
      .catch((error: unknown) => report(error, request));
    const listed = `${roles.join(', ')}${cut ? `, … ${principal.roles.length - roles.length} more` : ''}`;
    const err = new AetherError('forbidden', `the roles [${listed}] do not grant "${permission}"`, {
      details: { required_permission: permission },
    });
    return { ok: false, principal, problem: problem(err, { ...request, url: request.url ?? request.path }) };
  };

  const checkAccess: HttpCore['checkAccess'] = async (permission, request, where) => {
    if (permission === 'public') return { ok: true, principal: null };
    let principal: Principal | null;
    try {
      principal = await resolve(request);
    } catch (error) {
      return { ok: false, principal: null, problem: problem(error, { ...where, url: where.url ?? where.path }) };
    }
    return policy.authorize(principal, permission).allowed ? { ok: true, principal } : denied(permission, principal, where);
  };

  return {
    options,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    finished,
    checkAccess,
    problem,
    run(route, req) {
      // Untraced unless the request brings a trace, traces are started here, or spans are wanted: a header read.
      if (tracing !== undefined) {
        const header = req.raw.headers.traceparent;
        if (header !== undefined || tracing.start || spansEnabled()) return traced(route, req, header);
      }
      return handle(route, req);
    },
  };

  function traced(route: AnyRouteSpec, req: NeutralRequest, header: string | string[] | undefined): Outcome | Promise<Outcome> {
    const incoming = parseTraceparent(header, req.raw.headers.tracestate);
    const span = startSpan(`${req.method} ${route.path}`, {
      kind: 'server',
      parent: incoming,
      attributes: { 'http.request.method': req.method, 'http.route': route.path, 'client.address': req.ip },
    });
    const trace = span?.trace ?? incoming ?? (tracing!.start ? newTrace() : undefined);
    if (trace === undefined) return handle(route, req);
    const out = span ? runInSpan(span, handle, route, req) : runWithTrace(trace, handle, route, req);
    if (isPromise<Outcome>(out)) return out.then((o) => settled(o, trace, span));
    return settled(out, trace, span);
  }

  function handle(route: AnyRouteSpec, req: NeutralRequest): Outcome | Promise<Outcome> {
    if (route.permission === 'public') return execute(route, req, null);
    let resolved: Principal | null | Promise<Principal | null>;
    try {
      resolved = resolve(req.raw);
    } catch (error) {
      return send(problem(error, req), null);
    }
    if (isPromise(resolved)) {
      return resolved.then(
        (principal) => authorized(route, req, principal),
        (error: unknown) => send(problem(error, req), null),
      );
    }
    return authorized(route, req, resolved);
  }

  function authorized(route: AnyRouteSpec, req: NeutralRequest, principal: Principal | null): Outcome | Promise<Outcome> {
    if (policy.authorize(principal, route.permission).allowed) return execute(route, req, principal);
    const access = denied(route.permission, principal, req);
    return send((access as { problem: Problem }).problem, principal);
  }

  function execute(route: AnyRouteSpec, req: NeutralRequest, principal: Principal | null): Outcome | Promise<Outcome> {
    try {
      let { params, body } = req;
      let query: unknown = UNREAD;
      if (route.body) {
        const sent = carriesBody(req.raw.headers);
        if (sent && !isJsonType(req.raw.headers['content-type'])) {
          throw new AetherError('unsupported_media_type', 'send the body as application/json', {
            errors: [{ field: 'content-type', message: 'must be application/json', in: 'header' }],
          });
        }
        // Express parses an empty JSON body as {}, Fastify as nothing: no body is no body on both.
        if (!sent) body = undefined;
      }
      if (route.params || route.query || route.body) {
        const errors: FieldError[] = [];
        params = parse(route.params, params, 'path', errors);
        if (route.query) query = parse(route.query, req.query, 'query', errors);
        body = route.body ? parse(route.body, body, 'body', errors) : undefined;
        if (errors.length) throw validationError(errors);
      } else {
        body = undefined;
      }
      const out: unknown = route.handler(new Context(params, query, body, principal, req.ip, req));
      if (isPromise(out)) {
        return out.then(
          (value) => toOutcome(value, principal),
          (error: unknown) => send(problem(error, req), principal),
        );
      }
      return toOutcome(out, principal);
    } catch (error) {
      return send(problem(error, req), principal);
    }
  }
}

// The server span ends once the answer is decided (a stream: once it opens); the adapters audit the trace.
function settled(outcome: Outcome, trace: TraceContext, span: SpanHandle | undefined): Outcome {
  outcome.trace = trace;
  span?.end(undefined, outcome.type === 'send' ? outcome.status : 200);
  return outcome;
}

function toOutcome(out: unknown, principal: Principal | null): Outcome {
  if (isSseResult(out)) return { type: 'sse', result: out, principal };
  if (isHttpResult(out)) {
    return { type: 'send', status: out.status, headers: out.headers ?? NO_HEADERS, body: out.body, contentType: out.contentType ?? JSON_TYPE, principal };
  }
  return { type: 'send', status: 200, headers: NO_HEADERS, body: out ?? null, contentType: JSON_TYPE, principal };
}

function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function parse(schema: AnyRouteSpec['params'], value: unknown, where: string, errors: FieldError[]): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...fieldErrorsFromZod(result.error, { in: where }));
  return undefined;
}

function send(problem: Problem, principal: Principal | null): Outcome {
  return { type: 'send', status: problem.status, headers: problem.headers, body: problem.body, contentType: problem.headers['content-type']!, principal };
}

/**
 * True when the request says it has a body (a non-zero Content-Length or chunked encoding).
 * @example carriesBody(req.headers)
 */
export function carriesBody(headers: RequestLike['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * True for `application/json` and `application/*+json` media types.
 * @example isJsonType('application/json; charset=utf-8') // true
 */
export function isJsonType(contentType: string | readonly string[] | undefined): boolean {
  if (contentType === 'application/json') return true;
  const type = (typeof contentType === 'string' ? contentType : contentType?.[0] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * True when an outcome's body is JSON to serialise.
 * @example if (isJsonOutcome(out.contentType)) body = JSON.stringify(out.body)
 */
export function isJsonOutcome(contentType: string): boolean {
  return contentType.startsWith('application/json') || contentType.startsWith('application/problem+json');
}

/**
 * `/ops/services/{name}` → `/ops/services/:name` (the syntax both Express and Fastify route on).
 * @example toColonPath('/a/{b}') // '/a/:b'
 */
export function toColonPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

/**
 * `/ops/services/:name` → `/ops/services/{name}`, so audit paths look alike whichever way a route was declared.
 * @example toBracePath('/a/:b') // '/a/{b}'
 */
export function toBracePath(path: string): string {
  return path.includes(':') ? path.replace(/:([A-Za-z0-9_]+)/g, '{$1}') : path;
}

const NO_ROLES: readonly string[] = Object.freeze([]);

/**
 * The audit entry of one answered request, built alike by both adapters; roles are bounded as stored roles are.
 * @example audit.record(auditEntry('GET', '/ops/services', principal, 200, req.ip, elapsedMs))
 */
export function auditEntry(
  method: string,
  path: string,
  principal: Principal | null | undefined,
  status: number,
  ip: string,
  durationMs: number,
  traceId?: string,
): AuditEntry {
  const entry: AuditEntry = {
    method,
    path,
    roles: principal ? storedRoles(principal.roles) : NO_ROLES,
    status,
    client_ip: ip,
    duration_ms: Math.round(durationMs * 1000) / 1000,
  };
  if (principal?.id) entry.principal = principal.id;
  if (traceId !== undefined) entry.trace_id = traceId;
  return entry;
}

/**
 * Audit's `path` for requests no route matched: never the raw URL, which would grow the stats without bound.
 */
export const UNMATCHED_PATH = '<unmatched>';

/**
 * An AbortSignal aborted when the client goes away before the answer is complete.
 * @example const signal = signalFor(res)
 */
export function signalFor(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort(new AetherError('unavailable', 'the client disconnected'));
  if (res.destroyed && !res.writableFinished) abort();
  else res.once('close', () => {
    if (!res.writableFinished) abort();
  });
  return controller.signal;
}
