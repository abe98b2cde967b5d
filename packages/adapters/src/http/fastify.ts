import type { AnyRouteSpec, HttpAdapterOptions, Permission, Principal, TraceContext } from '@aetherlink/core';
import type { FastifyError, FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, FastifyServerOptions, HTTPMethods, onResponseHookHandler, RouteOptions } from 'fastify';
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
    /** `performance.now()` when an inline-audited route's handler began; 0 otherwise. */
    aetherStarted: number;
  }
  interface FastifyInstance {
    aetherlink: AetherlinkFastifyDecorator;
  }
}

// fastify-plugin lifts the decorators and the audit hook to the app (every request is audited), which also drops
// `prefix`; the route specs therefore live in inner, encapsulated contexts that take the prefix and scope the error
// and 404 handlers to what the plugin mounts. GET routes have a context of their own, where a route with no other
// lifecycle hook audits itself once its answer is sent (or its stream ends) instead of through `onResponse`: that
// hook alone makes Fastify set up response listeners, read the clock twice and run its hook runner on every request.
// In 11 paired runs within one process, GETs served this way were 8 % faster (median; 0.94–1.18×). A GET has no
// body for Fastify to refuse before the handler, so the handler sees every request that no hook answered; a route
// with hooks keeps `onResponse`.
const plugin: FastifyPluginCallback<AetherlinkFastifyOptions> = (app, options, done) => {
  const core = createHttpCore(options);
  const finished = core.finished;
  app.decorateRequest('aetherPrincipal', null);
  app.decorateRequest('aetherPath', null);
  app.decorateRequest('aetherTrace', null);
  app.decorateRequest('aetherStarted', 0);

  const audited = finished
    ? (request: FastifyRequest, reply: FastifyReply, next: () => void) => {
        // routeOptions builds a fresh object on every read: only fall back to it for routes that are not ours.
        finished(request.method, request.aetherPath ?? routePath(request), request.aetherPrincipal, reply.statusCode, request.ip, reply.elapsedTime, request.aetherTrace ?? undefined);
        next();
      }
    : undefined;

  if (options.problemHandlers === true) problemHandlers(app, core);

  const prefix = options.prefix ?? '';
  const scopes: Partial<Record<ScopeKind, Scope>> = {};
  const waiting: AnyRouteSpec[] = [...(options.routes ?? [])];
  const take = (kind: ScopeKind) => {
    const mine = waiting.filter((r) => scopeKind(r) === kind);
    waiting.splice(0, waiting.length, ...waiting.filter((r) => scopeKind(r) !== kind));
    return mine;
  };
  app.register(
    (inner, _opts, next) => {
      acceptJsonBodies(inner);
      // Without a prefix a 404 handler here would be the whole app's: leave that to the opt-in.
      problemHandlers(inner, core, prefix !== '' && options.problemHandlers !== true);
      const scope: Scope = { instance: inner, inline: false };
      scopes.hooked = scope;
      for (const route of take('hooked')) mountRoute(scope, core, route);
      next();
    },
    { prefix },
  );
  app.register(
    (inner, _opts, next) => {
      const scope: Scope = { instance: inner, inline: audited !== undefined };
      scopes.get = scope;
      // Added last, so it sees what other plugins' onRoute hooks gave a route (a rate limiter's hook, say).
      if (audited) inner.addHook('onRoute', (route) => auditAtReady(route, scope, audited));
      problemHandlers(inner, core, false);
      for (const route of take('get')) mountRoute(scope, core, route);
      next();
    },
    { prefix },
  );
  if (audited) {
    // Fastify hands a lifecycle hook to every context below the app, ours included, once they are loaded; the GET
    // context gives it back, and each of its routes takes it again at ready time if it turns out to need it.
    app.addHook('onResponse', audited);
    app.after(() => {
      const scope = scopes.get;
      if (scope?.inline && !removeHook(scope.instance, 'onResponse', audited)) scope.inline = false;
    });
  }

  app.decorate('aetherlink', {
    core,
    mount: (routes: readonly AnyRouteSpec[]) => {
      for (const route of routes) {
        const scope = scopes[scopeKind(route)];
        if (scope) mountRoute(scope, core, route);
        else waiting.push(route);
      }
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

/** Every hook that runs while a request is answered: an app that has one keeps the audit hook on every route. */
const LIFECYCLE_HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onResponse', 'onError', 'onTimeout', 'onRequestAbort'] as const;

/** Where a route spec's handler finds out whether it audits itself: an onRoute hook may take that back. */
const ROUTE_AUDIT = Symbol('aetherlink.audit');

/**
 * Decides, when the app gets ready (all plugins and hooks known), how a route of the GET context is audited. Fastify
 * reads a route's own hooks then, so `onResponse` becomes a getter: a GET route with no lifecycle hook, of its own
 * or of its context (hooks added to the app after the plugin reach the context too), audits itself; any other route
 * takes the audit hook, as does the HEAD route Fastify adds beside each GET.
 */
function auditAtReady(route: RouteOptions, scope: Scope, audited: onResponseHookHandler): void {
  const state = (route.config as Record<symbol, { inline: boolean }> | undefined)?.[ROUTE_AUDIT];
  if (state === undefined) return;
  let own = ([] as onResponseHookHandler[]).concat((route.onResponse as onResponseHookHandler | onResponseHookHandler[] | undefined) ?? []);
  Object.defineProperty(route, 'onResponse', {
    configurable: true,
    enumerable: true,
    get() {
      if (!scope.inline) return own; // the context kept the app's hook
      const inline = route.method === 'GET' && own.length === 0 && !routeHasHooks(route as unknown as Record<string, unknown>) && !hasLifecycleHooks(scope.instance);
      if (route.method === 'GET') state.inline = inline;
      return inline ? own : [...own, audited];
    },
    set(value: onResponseHookHandler | onResponseHookHandler[] | undefined) {
      own = ([] as onResponseHookHandler[]).concat(value ?? []);
    },
  });
}

/** True when a route's options carry a lifecycle hook other than `onResponse`. */
function routeHasHooks(options: Record<string, unknown>): boolean {
  return LIFECYCLE_HOOKS.some((hook) => hook !== 'onResponse' && options[hook] !== undefined && (!Array.isArray(options[hook]) || options[hook].length > 0));
}

/**
 * True unless the context is known to have no lifecycle hooks. Fastify has no public way to ask; when its hooks
 * cannot be read, the answer is yes.
 */
function hasLifecycleHooks(instance: FastifyInstance): boolean {
  const hooks = hooksOf(instance);
  return hooks === undefined || LIFECYCLE_HOOKS.some((hook) => !Array.isArray(hooks[hook]) || hooks[hook].length > 0);
}

/** Takes a hook back from one context (none of its routes has been given its hooks yet); false if it cannot. */
function removeHook(instance: FastifyInstance, name: string, hook: unknown): boolean {
  const list = hooksOf(instance)?.[name];
  const at = Array.isArray(list) ? list.indexOf(hook) : -1;
  if (at < 0) return false;
  (list as unknown[]).splice(at, 1);
  return true;
}

/** A context's own hook lists, which Fastify keeps under a symbol, or undefined if this Fastify keeps them elsewhere. */
function hooksOf(instance: FastifyInstance): Record<string, unknown> | undefined {
  const key = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.hooks');
  const hooks = key === undefined ? undefined : (instance as unknown as Record<symbol, unknown>)[key];
  return typeof hooks === 'object' && hooks !== null ? (hooks as Record<string, unknown>) : undefined;
}

type ScopeKind = 'get' | 'hooked';
/** An inner context, and whether its routes audit themselves (`inline`) or through the `onResponse` hook. */
interface Scope {
  instance: FastifyInstance;
  inline: boolean;
}

/** GET routes (and their HEAD) carry no body for Fastify to refuse before the handler runs. */
function scopeKind(route: AnyRouteSpec): ScopeKind {
  return route.method === 'GET' ? 'get' : 'hooked';
}

function problemHandlers(app: FastifyInstance, core: HttpCore, notFoundToo = true): void {
  app.setErrorHandler((error, request, reply) => {
    const path = request.aetherPath ?? routePath(request);
    const p = core.problem(error, { method: request.method, path, url: request.url, id: request.id });
    void reply.code(p.status).headers(p.headers).send(p.body);
    // A route that audits itself and failed on the way to its answer.
    if (request.aetherStarted > 0) auditInline(core, request, reply, path, request.aetherPrincipal);
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

function mountRoute(scope: Scope, core: HttpCore, route: AnyRouteSpec): void {
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  // `inline` is read per request: decided for this route when the app gets ready (see auditAtReady).
  const state = { inline: false };
  scope.instance.route({
    config: { [ROUTE_AUDIT]: state },
    method: route.method as HTTPMethods,
    url: toColonPath(route.path),
    ...(hasBody ? { bodyLimit: route.bodyLimit ?? core.bodyLimit } : {}),
    handler(request, reply) {
      request.aetherPath = route.path;
      const inline = scope.inline && state.inline && request.method === 'GET';
      if (inline) request.aetherStarted = performance.now();
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
      if (outcome instanceof Promise) return outcome.then((o) => deliver(core, route, request, reply, o, inline));
      deliver(core, route, request, reply, outcome, inline);
      return undefined;
    },
  });
}

function deliver(core: HttpCore, route: AnyRouteSpec, request: FastifyRequest, reply: FastifyReply, outcome: Outcome, inline: boolean): void | Promise<void> {
  request.aetherPrincipal = outcome.principal;
  if (outcome.trace !== undefined) request.aetherTrace = outcome.trace;
  if (outcome.type === 'sse') {
    // A hijacked reply skips onResponse: audit the stream when it ends, as every other request is audited.
    const finished = core.finished;
    if (finished) {
      reply.raw.once('close', () => finished(request.method, route.path, outcome.principal, reply.raw.statusCode, request.ip, elapsed(request, reply), outcome.trace));
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
  if (inline) auditInline(core, request, reply, route.path, outcome.principal);
}

/** Audits a request of an inline scope once its answer is sent: written out at once, as a GET's answer is. */
function auditInline(core: HttpCore, request: FastifyRequest, reply: FastifyReply, path: string, principal: Principal | null): void {
  core.finished?.(request.method, path, principal, reply.statusCode, request.ip, elapsed(request, reply), request.aetherTrace ?? undefined);
}

/** Milliseconds since the handler began (inline scopes), or since Fastify dispatched the request (hooked ones). */
function elapsed(request: FastifyRequest, reply: FastifyReply): number {
  return request.aetherStarted > 0 ? performance.now() - request.aetherStarted : reply.elapsedTime;
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
