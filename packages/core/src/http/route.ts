import type { z } from 'zod';
import type { Permission, Principal } from '../rbac/policy.js';
import type { TraceContext } from '../trace/trace-context.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives, the same under Express and Fastify. */
export interface RouteContext<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | null;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  ip: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** The request's W3C trace (from `traceparent`, or started here), when the adapter traces requests. */
  readonly trace?: TraceContext | undefined;
}

/** A handler's answer with a status, headers or a non-JSON body. Returning a plain value means 200 JSON. */
export interface HttpResult {
  readonly kind: 'http';
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Default `application/json`; any other type sends `body` as a string or Buffer. */
  contentType?: string;
}

/** One Server-Sent Events message. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** The open stream a handler writes to. `send` never blocks: a client that falls too far behind is disconnected. */
export interface SseChannel {
  send(message: SseMessage): void;
  close(): void;
  /** Aborted when the client disconnects or the channel closes. */
  readonly signal: AbortSignal;
  /** `Last-Event-ID` the client reconnected with, if any. */
  readonly lastEventId: string | undefined;
}

export interface SseResult {
  readonly kind: 'sse';
  open(channel: SseChannel): void | Promise<void>;
}

/**
 * A framework-neutral route: Express and Fastify adapters mount it with RBAC, audit, validation and errors done once.
 * Paths use OpenAPI templates: `/ops/services/{name}`.
 */
export interface RouteSpec<PS extends Schema = Schema, QS extends Schema = Schema, BS extends Schema = Schema> {
  method: HttpMethod;
  path: string;
  permission: Permission;
  summary?: string;
  description?: string;
  tags?: string[];
  params?: PS;
  query?: QS;
  body?: BS;
  /** The success response's body, for OpenAPI (every documented route needs one; `buildOpenApi` flags those without). */
  response?: z.ZodType;
  /** The operation's name in generated clients (camelCase, stable). Default: derived from the method and path. */
  operationId?: string;
  /**
   * Error statuses the handler itself answers, beyond those derived from the spec (401/403/503 from the permission,
   * 400/413/415 from the body, 400 from params and query, 404 from path parameters): e.g. 409, 502, 504.
   */
  errors?: readonly number[];
  /** Server-Sent Events: `'always'` answers a stream; `'on-request'` streams when the request asks, else JSON. */
  sse?: 'always' | 'on-request';
  /** Documentation details: see `RouteDocs`. */
  openapi?: RouteDocs;
  /** Largest accepted body in bytes. Default: the adapter's (64 KiB). */
  bodyLimit?: number;
  /** Produces a JSON value, an HttpResult (`reply()`), or an SseResult (`sse()`). */
  handler(ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>>): unknown;
}

/** How a route is documented beyond its schemas. */
export interface RouteDocs {
  /** A request body documented apart from validation (a route that validates in its handler). */
  requestBody?: z.ZodType;
  /** Leave the route out of the document. */
  hidden?: boolean;
  /** Media type of the success response. Default `application/json`. */
  contentType?: string;
  /** Success status. Default 200. */
  status?: number;
  /** Named request body examples. */
  examples?: Record<string, { summary?: string; value: unknown }>;
  /** Answers with bodies of their own beside problem+json (an OpenAI-shaped error, readiness on 503), by status. */
  responses?: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  /** Set false when path parameters are not looked up (no 404). */
  notFound?: boolean;
}

// Handlers are contravariant in their context, so a list of routes is typed loosely on purpose.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRouteSpec = RouteSpec<any, any, any>;

/**
 * Declares a route with its handler typed from its zod schemas.
 * @example
 * defineRoute({ method: 'GET', path: '/ops/services/{name}', permission: 'ops:operate',
 *   params: z.object({ name: z.string() }), handler: ({ params }) => registry.get(params.name) })
 */
export function defineRoute<PS extends Schema = undefined, QS extends Schema = undefined, BS extends Schema = undefined>(
  spec: RouteSpec<PS, QS, BS>,
): RouteSpec<PS, QS, BS> {
  return spec;
}

/**
 * An answer with its own status and headers.
 * @example return reply(201, { id }, { location: `/things/${id}` })
 */
export function reply(status: number, body?: unknown, headers?: Record<string, string>, contentType?: string): HttpResult {
  return { kind: 'http', status, body, ...(headers ? { headers } : {}), ...(contentType ? { contentType } : {}) };
}

/**
 * A Server-Sent Events answer; `open` runs once the stream is ready.
 * @example return sse((ch) => { const off = bus.subscribe({}, (e) => ch.send({ data: JSON.stringify(e) })); ch.signal.addEventListener('abort', off); })
 */
export function sse(open: SseResult['open']): SseResult {
  return { kind: 'sse', open };
}

/**
 * True for values made by `reply()`.
 * @example if (isHttpResult(out)) res.status(out.status)
 */
export function isHttpResult(value: unknown): value is HttpResult {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'http';
}

/**
 * True for values made by `sse()`.
 * @example if (isSseResult(out)) openStream(out)
 */
export function isSseResult(value: unknown): value is SseResult {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'sse' && typeof (value as SseResult).open === 'function';
}
