import type { AnyRouteSpec, HttpAdapterOptions, Permission, Principal } from '@aetherlink/core';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { createHttpCore, lazySignal, toColonPath, UNMATCHED_PATH, type HttpCore, type Outcome } from './pipeline.js';
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
  }
  interface FastifyInstance {
    aetherlink: AetherlinkFastifyDecorator;
  }
  interface FastifyContextConfig {
    aetherPath?: string;
  }
}

const plugin: FastifyPluginCallback<AetherlinkFastifyOptions> = (app, options, done) => {
  const core = createHttpCore(options);
  const audit = options.audit;
  app.decorateRequest('aetherPrincipal', null);

  if (audit) {
    app.addHook('onResponse', (request, reply, next) => {
      audit.record({
        method: request.method,
        path: request.routeOptions.config?.aetherPath ?? request.routeOptions.url ?? UNMATCHED_PATH,
        roles: request.aetherPrincipal?.roles ?? [],
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
      const p = core.problem(error, { method: request.method, path: request.routeOptions.url ?? UNMATCHED_PATH, url: request.url });
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
      const access = await core.checkAccess(permission, {
        method: request.method,
        path: request.routeOptions.url ?? request.url,
        headers: request.headers,
        ip: request.ip,
      });
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
    config: { aetherPath: route.path },
    ...(hasBody ? { bodyLimit: route.bodyLimit ?? core.bodyLimit } : {}),
    handler: async (request, reply) => {
      const outcome: Outcome = await core.run(
        route,
        {
          method: request.method,
          path: route.path,
          url: request.url,
          params: request.params,
          query: request.query,
          body: request.body,
          headers: request.headers,
          ip: request.ip,
          signal: lazySignal(reply.raw),
        },
        (principal) => {
          request.aetherPrincipal = principal;
        },
      );
      if (outcome.type === 'sse') {
        reply.hijack();
        await pumpSse(request.raw, reply.raw, outcome.result, core.options.sse).catch((error: unknown) =>
          core.problem(error, { method: request.method, path: route.path, url: request.url }),
        );
        return reply;
      }
      reply.code(outcome.status).headers(outcome.headers).type(outcome.contentType);
      if (outcome.contentType.startsWith('application/json') || outcome.contentType.startsWith('application/problem+json')) {
        return reply.send(JSON.stringify(outcome.body));
      }
      return reply.send(outcome.body);
    },
  });
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

export { createHttpCore, toColonPath } from './pipeline.js';
export type { HttpCore, NeutralRequest, Outcome } from './pipeline.js';
export { toProblem, statusForCode } from './problem.js';
export type { Problem, ProblemBody } from './problem.js';
export { pumpSse, formatSse } from './sse.js';
