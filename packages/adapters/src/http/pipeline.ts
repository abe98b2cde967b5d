import {
  AetherError,
  chainResolvers,
  defaultPolicy,
  DEFAULT_BODY_LIMIT,
  fieldErrorsFromZod,
  headerPrincipalResolver,
  isHttpResult,
  isSseResult,
  validationError,
  type AnyRouteSpec,
  type FieldError,
  type HttpAdapterOptions,
  type Permission,
  type Principal,
  type PrincipalResolver,
  type RequestLike,
  type SseResult,
} from '@aetherlink/core';
import { toProblem, type Problem } from './problem.js';

/** A request as both frameworks can describe it. */
export interface NeutralRequest {
  method: string;
  /** The route template, e.g. `/ops/services/{name}`. */
  path: string;
  url: string;
  params: unknown;
  query: unknown;
  body: unknown;
  headers: RequestLike['headers'];
  ip: string;
  signal: () => AbortSignal;
}

export type Outcome =
  | { type: 'send'; status: number; headers: Record<string, string>; body: unknown; contentType: string }
  | { type: 'sse'; result: SseResult };

type Access = { ok: true; principal: Principal | null } | { ok: false; problem: Problem; principal: Principal | null };

/** The behaviour both adapters share: principal, RBAC, validation, handler, errors. Adapters only translate. */
export interface HttpCore {
  readonly options: HttpAdapterOptions;
  readonly bodyLimit: number;
  /** Resolves the principal and checks the permission; emits `security.rbac.violation` on 403. */
  checkAccess(permission: Permission, request: { method: string; path: string; headers: RequestLike['headers']; ip: string }): Promise<Access>;
  /** Runs a route spec end to end; never throws. */
  run(route: AnyRouteSpec, request: NeutralRequest, onPrincipal: (p: Principal | null) => void): Promise<Outcome>;
  /** Answers an error as problem+json, logging it when unexpected. */
  problem(error: unknown, where: { method: string; path: string; url: string }): Problem;
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
    ((error: unknown, where: { method: string; path: string }) => {
      process.emitWarning(`${where.method} ${where.path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 'AetherLinkWarning');
    });

  const problem: HttpCore['problem'] = (error, where) => {
    const p = toProblem(error, where.url);
    if (p.unexpected) onError(error, where);
    return p;
  };

  const checkAccess: HttpCore['checkAccess'] = async (permission, request) => {
    if (permission === 'public') return { ok: true, principal: null };
    let principal: Principal | null;
    try {
      principal = await resolve(request);
    } catch (error) {
      return { ok: false, principal: null, problem: problem(error, { ...request, url: request.path }) };
    }
    const decision = policy.authorize(principal, permission);
    if (decision.allowed) return { ok: true, principal };
    if (decision.reason === 'unauthenticated') {
      const err = new AetherError('unauthorized', 'credentials are required: send X-User-Roles or a bearer token', {
        details: { www_authenticate: 'Bearer realm="aetherlink"' },
      });
      return { ok: false, principal, problem: problem(err, { ...request, url: request.path }) };
    }
    const roles = principal?.roles ?? [];
    options.bus
      ?.emit(
        'security.rbac.violation',
        {
          method: request.method,
          path: request.path,
          permission,
          roles: [...roles],
          client_ip: request.ip,
          ...(principal?.id ? { principal: principal.id } : {}),
        },
        { source: options.service },
      )
      .catch((error: unknown) => onError(error, request));
    const err = new AetherError(
      'forbidden',
      `the roles [${roles.join(', ')}] do not grant "${permission}"`,
      { details: { required_permission: permission } },
    );
    return { ok: false, principal, problem: problem(err, { ...request, url: request.path }) };
  };

  const validate = (route: AnyRouteSpec, req: NeutralRequest) => {
    const errors: FieldError[] = [];
    const parse = (schema: AnyRouteSpec['params'], value: unknown, where: 'params' | 'query' | 'body') => {
      if (!schema) return value;
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      errors.push(...fieldErrorsFromZod(result.error, { in: where === 'params' ? 'path' : where }));
      return undefined;
    };
    const params = parse(route.params, req.params, 'params');
    const query = parse(route.query, req.query, 'query');
    const body = route.body ? parse(route.body, req.body, 'body') : undefined;
    if (errors.length) throw validationError(errors);
    return { params, query, body };
  };

  return {
    options,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    checkAccess,
    problem,
    async run(route, req, onPrincipal) {
      const where = { method: req.method, path: req.path, url: req.url };
      const access = await checkAccess(route.permission, req);
      onPrincipal(access.principal);
      if (!access.ok) return send(access.problem);
      try {
        if (route.body && carriesBody(req.headers) && !isJsonType(req.headers['content-type'])) {
          throw new AetherError('unsupported_media_type', 'send the body as application/json', {
            errors: [{ field: 'content-type', message: 'must be application/json', in: 'header' }],
          });
        }
        const { params, query, body } = validate(route, req);
        const out = await route.handler({
          params,
          query,
          body,
          principal: access.principal,
          headers: req.headers,
          ip: req.ip,
          get signal() {
            return req.signal();
          },
        });
        if (isSseResult(out)) return { type: 'sse', result: out };
        if (isHttpResult(out)) {
          return {
            type: 'send',
            status: out.status,
            headers: out.headers ?? {},
            body: out.body,
            contentType: out.contentType ?? 'application/json; charset=utf-8',
          };
        }
        return { type: 'send', status: 200, headers: {}, body: out ?? null, contentType: 'application/json; charset=utf-8' };
      } catch (error) {
        return send(problem(error, where));
      }
    },
  };
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
  const type = (typeof contentType === 'string' ? contentType : contentType?.[0] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function send(problem: Problem): Outcome {
  return { type: 'send', status: problem.status, headers: problem.headers, body: problem.body, contentType: problem.headers['content-type']! };
}

/**
 * `/ops/services/{name}` → `/ops/services/:name` (the syntax both Express and Fastify route on).
 * @example toColonPath('/a/{b}') // '/a/:b'
 */
export function toColonPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

/**
 * Audit's `path` for requests no route matched: never the raw URL, which would grow the stats without bound.
 */
export const UNMATCHED_PATH = '<unmatched>';

/**
 * An AbortSignal made only when a handler asks for it, aborted when the client goes away before the answer is done.
 * @example const signal = lazySignal(res)
 */
export function lazySignal(res: import('node:http').ServerResponse): () => AbortSignal {
  let controller: AbortController | undefined;
  return () => {
    if (!controller) {
      const c = new AbortController();
      controller = c;
      if (res.destroyed && !res.writableFinished) c.abort(new AetherError('unavailable', 'the client disconnected'));
      else res.once('close', () => {
        if (!res.writableFinished) c.abort(new AetherError('unavailable', 'the client disconnected'));
      });
    }
    return controller.signal;
  };
}
