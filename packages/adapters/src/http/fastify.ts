import type { AnyRouteSpec, HttpAdapterOptions, Permission, Principal } from '@aetherlink/core';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { createHttpCore, isJsonOutcome, toBracePath, toColonPath, UNMATCHED_PATH, type HttpCore, type Outcome } from './pipeline.js';
import { pumpSse } from './sse.js';

export interface AetherlinkFastifyOptions extends HttpAdapterOptions {
  /** Route specs to mount. More can be mounted later with `app.aetherlink.mount()`. */
  routes?: readonly AnyRouteSpec[];
  /** Answer errors and unknown routes of the whole app as problem+json. Default true. */
  problemHandlers?: boolean;
}

export interface AetherlinkFastifyDecorator {
  core: HttpCore;
  /** Mounts more route specs. */
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
  }
  interface FastifyInstance {
    aetherlink: AetherlinkFastifyDecorator;
  }
}

const NO_ROLES: readonly string[] = Object.freeze([]);

const plugin: FastifyPluginCallback<AetherlinkFastifyOptions> = (app, options, done) => {
  const core = createHttpCore(options);
  const audit = options.audit;
  app.decorateRequest('aetherPrincipal', null);
  app.decorateRequest('aetherPath', null);

  if (audit) {
    app.addHook('onResponse', (request, reply, next) => {
      audit.record({
        method: request.method,
        // routeOptions builds a fresh object on every read: only fall back to it for routes that are not ours.
        path: request.aetherPath ?? routePath(request),
        roles: request.aetherPrincipal?.roles ?? NO_ROLES,
        status: reply.statusCode,
        client_ip: request.ip,
        duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
        ...(request.aetherPrincipal?.id ? { principal: request.aetherPrincipal.id } : {}),
      });
      next();
    });
  }

  if (options.problemHandlers !== false) {
    app.setErrorHandler((error, request, reply) => {
      const p = core.problem(error, { method: request.method, path: routePath(request), url: request.url });
      void reply.code(p.status).headers(p.headers).send(p.body);
    });
    app.setNotFoundHandler((request, reply) => {
      const p = core.problem(notFound(request.method, request.url), { method: request.method, path: UNMATCHED_PATH, url: request.url });
      void reply.code(p.status).headers(p.headers).send(p.body);
    });
  }

  const mount = (routes: readonly AnyRouteSpec[]) => {
    for (const route of routes) mountRoute(app, core, route);
  };

  app.decorate('aetherlink', {
    core,
    mount,
    guard: (permission: Permission) => async (request: FastifyRequest, reply: FastifyReply) => {
      const access = await core.checkAccess(permission, request.raw, { method: request.method, path: routePath(request), ip: request.ip, url: request.url });
      request.aetherPrincipal = access.principal;
      if (!access.ok) return reply.code(access.problem.status).headers(access.problem.headers).send(access.problem.body);
      return undefined;
    },
  } satisfies AetherlinkFastifyDecorator);

  mount(options.routes ?? []);
  done();
};

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
  if (outcome.type === 'sse') {
    reply.hijack();
    return pumpSse(request.raw, reply.raw, outcome.result, core.options.sse).catch((error: unknown) => {
      core.problem(error, { method: request.method, path: route.path, url: request.url });
    });
  }
  reply.code(outcome.status).headers(outcome.headers).type(outcome.contentType);
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
 * await app.register(aetherlinkFastify, { service: 'billing', routes: eventRoutes({ bus }), audit, bus });
 */
export const aetherlinkFastify = fp(plugin, { name: '@aetherlink/fastify', fastify: '5.x' });

export { createHttpCore, toBracePath, toColonPath } from './pipeline.js';
export type { AccessWhere, HttpCore, NeutralRequest, Outcome } from './pipeline.js';
export { toProblem, statusForCode } from './problem.js';
export type { Problem, ProblemBody } from './problem.js';
export { pumpSse, formatSse } from './sse.js';
