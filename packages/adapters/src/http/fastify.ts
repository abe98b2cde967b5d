import type { AnyRouteSpec, HttpAdapterOptions, Permission, Principal, TraceContext } from '@aetherlink/core';
import type { FastifyError, FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, FastifyServerOptions, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { createHttpCore, isJsonOutcome, toBracePath, toColonPath, UNMATCHED_PATH, type HttpCore, type Outcome } from './pipeline.js';
import { problemOnClientError, toProblem, utf8BodyError } from './problem.js';
import { pumpSse } from './sse.js';

export interface AetherlinkFastifyOptions extends HttpAdapterOptions {
  /** Route specs to mount. More can be mounted later with `app.aetherlink.mount()`. */
  routes?: readonly AnyRouteSpec[];
  /**
   * Also answer errors and unknown routes of the whole app (not only of the route specs and the prefix) as
   * problem+json; covers the app's routes declared after the plugin. Default false: the plugin touches only what it
   * mounts.
   */
  problemHandlers?: boolean;
  /** Mount the route specs under this prefix, as `app.register(aetherlinkFastify, { prefix: '/al' })` asks. */
  prefix?: string;
}

export interface AetherlinkFastifyDecorator {
  core: HttpCore;
  /** Mounts more route specs (under the plugin's prefix). */
  mount(routes: readonly AnyRouteSpec[]): void;
  /** A preHandler enforcing a permission on a route of your own. */
  guard(permission: Permission): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The principal AetherLink resolved for this request, if any. */
    aetherPrincipal: Principal | null;
    /** The route spec's path template, when a route spec served this request. */
    aetherPath: string | null;
    /** The request's W3C trace, when it was traced. */
    aetherTrace: TraceContext | null;
  }
  interface FastifyInstance {
    aetherlink: AetherlinkFastifyDecorator;
  }
}

// fastify-plugin lifts the decorators and the audit hook to the app (every request is audited), which also drops
// `prefix`; the route specs therefore live in an inner, encapsulated context that takes the prefix and scopes the
// error and 404 handlers to what the plugin mounts.
const plugin: FastifyPluginCallback<AetherlinkFastifyOptions> = (app, options, done) => {
  const core = createHttpCore(options);
  const finished = core.finished;
  app.decorateRequest('aetherPrincipal', null);
  app.decorateRequest('aetherPath', null);
  app.decorateRequest('aetherTrace', null);

  if (finished) {
    app.addHook('onResponse', (request, reply, next) => {
      // routeOptions builds a fresh object on every read: only fall back to it for routes that are not ours.
      finished(request.method, request.aetherPath ?? routePath(request), request.aetherPrincipal, reply.statusCode, request.ip, reply.elapsedTime, request.aetherTrace ?? undefined);
      next();
    });
  }

  if (options.problemHandlers === true) problemHandlers(app, core);

  let scope: FastifyInstance | undefined;
  const waiting: AnyRouteSpec[] = [...(options.routes ?? [])];
  app.register(
    (inner, _opts, next) => {
      scope = inner;
      acceptJsonBodies(inner);
      // Without a prefix a 404 handler here would be the whole app's: leave that to the opt-in.
      problemHandlers(inner, core, options.prefix !== undefined && options.prefix !== '' && options.problemHandlers !== true);
      for (const route of waiting.splice(0)) mountRoute(inner, core, route);
      next();
    },
    { prefix: options.prefix ?? '' },
  );

  app.decorate('aetherlink', {
    core,
    mount: (routes: readonly AnyRouteSpec[]) => {
      if (scope) for (const route of routes) mountRoute(scope, core, route);
      else waiting.push(...routes);
    },
    guard: (permission: Permission) => async (request: FastifyRequest, reply: FastifyReply) => {
      const access = await core.checkAccess(permission, request.raw, { method: request.method, path: routePath(request), ip: request.ip, url: request.url });
      request.aetherPrincipal = access.principal;
      if (!access.ok) return reply.code(access.problem.status).headers(access.problem.headers).send(access.problem.body);
      return undefined;
    },
  } satisfies AetherlinkFastifyDecorator);
  done();
};

function problemHandlers(app: FastifyInstance, core: HttpCore, notFoundToo = true): void {
  app.setErrorHandler((error, request, reply) => {
    const p = core.problem(error, { method: request.method, path: request.aetherPath ?? routePath(request), url: request.url, id: request.id });
    void reply.code(p.status).headers(p.headers).send(p.body);
  });
  if (!notFoundToo) return;
  app.setNotFoundHandler((request, reply) => {
    const p = core.problem(notFound(request.method, request.url), { method: request.method, path: UNMATCHED_PATH, url: request.url, id: request.id });
    void reply.code(p.status).headers(p.headers).send(p.body);
  });
}

// CloudEvents structured mode (`application/cloudevents+json`) and every other `application/*+json` parse as JSON,
// as under Express; an empty JSON body is no body (a binary-mode CloudEvent without data), not a 400.
function acceptJsonBodies(scope: FastifyInstance): void {
  const config = scope.initialConfig as { onProtoPoisoning?: 'error' | 'remove' | 'ignore'; onConstructorPoisoning?: 'error' | 'remove' | 'ignore' };
  const json = scope.getDefaultJsonParser(config.onProtoPoisoning ?? 'error', config.onConstructorPoisoning ?? 'error');
  // As bytes, so a body that is not UTF-8 is refused rather than decoded with replacement characters.
  const parse = (request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void) => {
    if (body.length === 0) return done(null, undefined);
    const refused = utf8BodyError(body);
    if (refused) done(refused);
    else json(request, body.toString('utf8'), done);
  };
  for (const type of ['application/json', /^application\/[^\s/;]+\+json(?:;|$)/]) {
    try {
      scope.addContentTypeParser(type, { parseAs: 'buffer' }, parse);
    } catch (error) {
      // The app brought its own parser for this type: keep it.
      if ((error as { code?: string }).code !== 'FST_ERR_CTP_ALREADY_PRESENT') throw error;
    }
  }
}

function mountRoute(app: FastifyInstance, core: HttpCore, route: AnyRouteSpec): void {
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  app.route({
    method: route.method as HTTPMethods,
    url: toColonPath(route.path),
    ...(hasBody ? { bodyLimit: route.bodyLimit ?? core.bodyLimit } : {}),
    handler(request, reply) {
      request.aetherPath = route.path;
      const outcome = core.run(route, {
        method: request.method,
        path: route.path,
        url: request.url,
        params: request.params,
        query: request.query,
        body: request.body,
        ip: request.ip,
        raw: request.raw,
        res: reply.raw,
        id: request.id,
      });
      // Resolve to nothing once sent: handing `reply` back makes Fastify send it again, which it refuses by building
      // an error (stack trace and all) on every request — a cost that showed in the middleware benchmark.
      if (outcome instanceof Promise) return outcome.then((o) => deliver(core, route, request, reply, o));
      deliver(core, route, request, reply, outcome);
      return undefined;
    },
  });
}

function deliver(core: HttpCore, route: AnyRouteSpec, request: FastifyRequest, reply: FastifyReply, outcome: Outcome): void | Promise<void> {
  request.aetherPrincipal = outcome.principal;
  if (outcome.trace !== undefined) request.aetherTrace = outcome.trace;
  if (outcome.type === 'sse') {
    // A hijacked reply skips onResponse: audit the stream when it ends, as every other request is audited.
    const finished = core.finished;
    if (finished) {
      reply.raw.once('close', () => finished(request.method, route.path, outcome.principal, reply.raw.statusCode, request.ip, reply.elapsedTime, outcome.trace));
    }
    reply.hijack();
    return pumpSse(request.raw, reply.raw, outcome.result, core.options.sse).catch((error: unknown) => {
      core.problem(error, { method: request.method, path: route.path, url: request.url, id: request.id });
    });
  }
  reply.code(outcome.status).headers(outcome.headers).type(outcome.contentType);
  // JSON.stringify rather than response schemas compiled to Fastify's serializer: that saves ~0.2 µs on a small
  // answer (well under 1 % of a request) and is slower on a page of events (36 vs 51 µs for 50), whose `data` is
  // free-form; it would also drop fields a schema does not name.
  reply.send(isJsonOutcome(outcome.contentType) ? JSON.stringify(outcome.body) : outcome.body);
}

function routePath(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  return url === undefined ? UNMATCHED_PATH : toBracePath(url);
}

function notFound(method: string, url: string): Error {
  return Object.assign(new Error(`no route matches ${method} ${url.split('?')[0]}`), { statusCode: 404, code: 'not_found' });
}

/**
 * The AetherLink Fastify plugin: principal, RBAC (401/403), audit, zod validation and problem+json for route specs.
 * @example
 * await app.register(aetherlinkFastify, { service: 'billing', routes: eventRoutes({ bus }), audit, bus, prefix: '/al' });
 */
export const aetherlinkFastify = fp(plugin, { name: '@aetherlink/fastify', fastify: '5.x' });

/**
 * `Fastify()` options under which the framework's own rejections answer problem+json too: bad percent-encoding
 * (400), path parameters over 1 000 characters (414; Fastify's default limit of 100 is below what route schemas
 * allow), oversized headers (431) and malformed requests (400). Spread them first: `routerOptions` is replaced.
 * @example const app = Fastify({ ...aetherlinkServerOptions(), logger: true })
 */
export function aetherlinkServerOptions(): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler' | 'routerOptions'> {
  return {
    frameworkErrors: problemFrameworkErrors,
    clientErrorHandler: problemOnClientError,
    routerOptions: { maxParamLength: 1000 },
  };
}

function problemFrameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // Through the plugin's core when it is registered, so an unexpected one reaches its onError.
  const core = (request.server as Partial<FastifyInstance>).aetherlink?.core;
  const where = { method: request.method, path: UNMATCHED_PATH, url: request.url, id: request.id };
  const p = core ? core.problem(error, where) : toProblem(error, request.url);
  void reply.code(p.status).headers(p.headers).send(p.body);
}

export { auditEntry, createHttpCore, toBracePath, toColonPath } from './pipeline.js';
export type { AccessWhere, HttpCore, NeutralRequest, Outcome, Where } from './pipeline.js';
export { problemOnClientError, toProblem, statusForCode } from './problem.js';
export type { Problem, ProblemBody } from './problem.js';
export { pumpSse, formatSse } from './sse.js';
