import type { AnyRouteSpec, HttpAdapterOptions, Permission, Principal, TraceContext } from '@aetherlink/core';
import type { default as Express, ErrorRequestHandler, NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { loadPeer } from '../_internal/peer.js';
import { createHttpCore, isJsonOutcome, toBracePath, toColonPath, UNMATCHED_PATH, type HttpCore, type NeutralRequest, type Outcome } from './pipeline.js';
import { routeFinder, runChain, type ChainHandler, type MountedRoute } from './express-dispatch.js';
import { utf8BodyError } from './problem.js';
import { pumpSse } from './sse.js';

export interface AetherlinkExpressOptions extends HttpAdapterOptions {
  /** Route specs to mount on `router`. */
  routes?: readonly AnyRouteSpec[];
}

export interface AetherlinkExpress {
  /** `app.use(al.router)` first: audits every request and serves the route specs. */
  router: Router;
  /** Enforces a permission on a route of your own: `app.get('/x', al.guard('ops:read'), handler)`. */
  guard(permission: Permission): RequestHandler;
  /** `app.use(al.notFound)` last: unknown routes answer 404 problem+json. */
  notFound: RequestHandler;
  /** `app.use(al.errorHandler)` last: errors of your own routes answer problem+json. */
  errorHandler: ErrorRequestHandler;
  core: HttpCore;
}

interface Locals {
  aetherPath?: string;
  aetherPrincipal?: Principal | null;
  aetherStarted?: number;
  /** `req.ip`, read once: Express works it out anew (proxy headers and all) on every read. */
  aetherIp?: string;
  aetherTrace?: TraceContext;
}

/**
 * AetherLink for Express 5: principal, RBAC (401/403), audit, zod validation and problem+json.
 * @example
 * const al = aetherlinkExpress({ service: 'crm', routes: eventRoutes({ bus }), audit, bus });
 * app.use(al.router); app.get('/leads', al.guard('crm:read'), listLeads); app.use(al.notFound, al.errorHandler);
 */
export function aetherlinkExpress(options: AetherlinkExpressOptions): AetherlinkExpress {
  const express = loadPeer<typeof Express>('express');
  const core = createHttpCore(options);
  const router = express.Router();
  const finished = core.finished;

  const errorHandler: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const locals = res.locals as Locals;
    const p = core.problem(error, { method: req.method, path: locals.aetherPath ?? templateOf(req), url: req.originalUrl });
    res.status(p.status).set(p.headers).send(JSON.stringify(p.body));
  };

  const mounted: MountedRoute[] = [];
  for (const route of options.routes ?? []) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const chain: ChainHandler[] = [];
    // Only JSON is parsed; the shared core answers 415 for any other body, as Fastify would. The template is set
    // before the parser, so a body it refuses is audited under the route.
    if (route.body) {
      chain.push((_req, res, next) => {
        (res.locals as Locals).aetherPath = route.path;
        next();
      });
      chain.push(express.json({ limit: route.bodyLimit ?? core.bodyLimit, strict: false, type: ['application/json', 'application/*+json'], verify: refuseNonUtf8 }));
    }
    chain.push(routeHandler(core, route));
    const expressRoute = router.route(toColonPath(route.path));
    expressRoute[method](...(chain as RequestHandler[]));
    mounted.push({ method: route.method, path: route.path, route: expressRoute, chain });
  }
  router.use(errorHandler);

  // One listener per router, reading what it needs from locals: no closure per request.
  const audited = finished
    ? function (this: Response): void {
        const req = this.req;
        const locals = this.locals as Locals;
        finished(req.method, locals.aetherPath ?? templateOf(req), locals.aetherPrincipal, this.statusCode, locals.aetherIp ?? clientIp(req), performance.now() - locals.aetherStarted!, locals.aetherTrace);
      }
    : undefined;
  // From here on the response is audited when it closes (it emits 'close' once, finished or abandoned).
  const auditOnClose = (res: Response, started: number): void => {
    if (!audited) return;
    (res.locals as Locals).aetherStarted ??= started;
    res.on('close', audited);
  };
  // A direct hit that will not audit itself: what it learnt goes into locals, for the audit on close.
  const handOver = (direct: DirectHit, res: Response): void => {
    if (direct.audit === undefined) return;
    direct.audit = undefined;
    const locals = res.locals as Locals;
    if (direct.path !== undefined) locals.aetherPath = direct.path;
    if (direct.ip !== undefined) locals.aetherIp = direct.ip;
    if (direct.principal !== undefined) locals.aetherPrincipal = direct.principal;
    if (direct.trace !== undefined) locals.aetherTrace = direct.trace;
    auditOnClose(res, direct.started);
  };
  // The router's own entry, wrapped rather than preceded by a first middleware: every request that reaches the
  // router is audited, without one more layer for Express to match and step through. A request for a route spec
  // whose match is certain goes straight to its handlers (see routeFinder), past the nested router's layer matching,
  // parameter handling and route dispatch; when its handler answers at once, it is audited right after, without a
  // listener (every read of a request's or response's property costs Express apps a lookup: see DirectHit).
  const find = routeFinder(mounted);
  if (audited || find) {
    type Entry = (req: Request, res: Response, next: (error?: unknown) => void) => void;
    // Express 5's Router calls `router.handle` for every request it is given (router 2.x, untyped in @types/express).
    const entry = router as unknown as { handle: Entry };
    const handle = entry.handle.bind(router);
    entry.handle = (req, res, next) => {
      const started = performance.now();
      const method = req.method;
      const hit = find?.(method, pathOf(req.url));
      if (hit === undefined) {
        auditOnClose(res, started);
        return handle(req, res, next);
      }
      const direct: DirectHit = { started, method, params: hit.params, audit: finished, handOver };
      const found = req as { params: unknown; route: unknown };
      const { params, route } = found;
      found.params = hit.params;
      found.route = hit.mounted.route;
      // Anything but an answer from the handler itself (an error, the end of the chain) is audited on close.
      runChain(
        hit.mounted.chain,
        (error, q, s, done) => {
          handOver(direct, s);
          errorHandler(error, q, s, done);
        },
        req,
        res,
        (error?: unknown) => {
          handOver(direct, res);
          // Leaving the router puts back what it found, as Express's router does.
          found.params = params;
          found.route = route;
          next(error);
        },
        direct,
      );
    };
  }

  return {
    router,
    core,
    errorHandler,
    guard: (permission) => async (req, res, next) => {
      const access = await core.checkAccess(permission, req, {
        method: req.method,
        // A guard mounted with app.use() has no route template: name the path it guards.
        path: req.route ? templateOf(req) : req.path,
        ip: clientIp(req),
        url: req.originalUrl,
      });
      (res.locals as Locals).aetherPrincipal = access.principal;
      if (access.ok) return next();
      res.status(access.problem.status).set(access.problem.headers).send(JSON.stringify(access.problem.body));
    },
    notFound: (req, res) => {
      const err = Object.assign(new Error(`no route matches ${req.method} ${req.path}`), { statusCode: 404, code: 'not_found' });
      const p = core.problem(err, { method: req.method, path: UNMATCHED_PATH, url: req.originalUrl });
      res.status(p.status).set(p.headers).send(JSON.stringify(p.body));
    },
  };
}

/**
 * `req.ip`. Express works it out anew on every read, parsing X-Forwarded-For even when it trusts no proxy (the
 * default), when the answer is always the socket's peer: that case reads the peer directly.
 */
function clientIp(req: Request): string {
  if (req.app.get('trust proxy') === false) return req.socket.remoteAddress ?? '';
  return req.ip ?? '';
}

/** The path of a request URL (origin form); anything else, such as an absolute URL, is left as it is. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The route template that matched (never the raw URL, which may carry ids or secrets), or `<unmatched>`. */
function templateOf(req: Request): string {
  return req.route ? toBracePath(`${req.baseUrl}${String(req.route.path)}`) : UNMATCHED_PATH;
}

// Runs on the raw bytes before body-parser decodes them (it would put U+FFFD in place of bad bytes).
function refuseNonUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  const refused = utf8BodyError(body);
  if (refused) throw refused;
}

/**
 * What the router's entry knows of a request it sends straight to a route spec's handlers: read once there, as every
 * read of a property of an Express request or response is a lookup that V8 cannot cache (Express gives each of
 * them a new prototype, so no two share a shape).
 */
interface DirectHit {
  started: number;
  method: string;
  params: Record<string, string>;
  /** Set while the handler may still audit the request itself once it answers; cleared once it has, or handed over. */
  audit: HttpCore['finished'];
  /** What the handler learnt, for an audit on close should it not answer at once. */
  path?: string;
  ip?: string;
  principal?: Principal | null;
  trace?: TraceContext | undefined;
  /** Leaves the audit to the response's close (once; a no-op after the handler has audited). */
  handOver(direct: DirectHit, res: Response): void;
}

/** The request as the shared core reads it; the URL and the query are read from Express only if asked for. */
class ExpressInput implements NeutralRequest {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly params: unknown,
    readonly body: unknown,
    readonly ip: string,
    readonly raw: Request,
    readonly res: Response,
  ) {}
  get url(): string {
    return this.raw.originalUrl;
  }
  get query(): unknown {
    return this.raw.query;
  }
}

function routeHandler(core: HttpCore, route: AnyRouteSpec) {
  // Three declared parameters: Express takes a handler of four for an error handler. A direct hit passes a fourth.
  return (req: Request, res: Response, next: NextFunction, ...hit: [DirectHit?]): void => {
    const direct = hit[0];
    const ip = clientIp(req);
    if (direct === undefined) {
      const locals = res.locals as Locals;
      locals.aetherPath = route.path;
      locals.aetherIp = ip;
    } else {
      direct.path = route.path;
      direct.ip = ip;
    }
    const input = new ExpressInput(direct?.method ?? req.method, route.path, direct?.params ?? req.params, route.body ? req.body : undefined, ip, req, res);
    const outcome = core.run(route, input);
    if (outcome instanceof Promise) {
      direct?.handOver(direct, res);
      outcome.then((o) => deliver(core, route, req, res, o)).catch(next);
      return;
    }
    if (direct?.audit === undefined || outcome.type !== 'send') {
      direct?.handOver(direct, res);
      deliver(core, route, req, res, outcome);
      return;
    }
    direct.principal = outcome.principal;
    direct.trace = outcome.trace;
    deliver(core, route, req, res, outcome, false);
    // Answered: audited now, once. Had sending thrown, the error handler's answer would be audited on close.
    const audit = direct.audit;
    direct.audit = undefined;
    audit(direct.method, route.path, outcome.principal, res.statusCode, ip, performance.now() - direct.started, outcome.trace);
  };
}

/** Sends the outcome; `remember` keeps the principal and trace in locals for an audit on close. */
function deliver(core: HttpCore, route: AnyRouteSpec, req: Request, res: Response, outcome: Outcome, remember = true): void {
  if (outcome.type === 'sse') {
    (res.locals as Locals).aetherPrincipal = outcome.principal;
    if (outcome.trace !== undefined) (res.locals as Locals).aetherTrace = outcome.trace;
    pumpSse(req, res, outcome.result, core.options.sse).catch((error: unknown) =>
      core.problem(error, { method: req.method, path: route.path, url: req.originalUrl }),
    );
    return;
  }
  if (remember) {
    const locals = res.locals as Locals;
    locals.aetherPrincipal = outcome.principal;
    if (outcome.trace !== undefined) locals.aetherTrace = outcome.trace;
  }
  // Straight onto the response: res.status/set/type look the content type up again on every call.
  if (res.statusCode !== outcome.status) res.statusCode = outcome.status;
  for (const name in outcome.headers) res.setHeader(name, outcome.headers[name]!);
  res.setHeader('content-type', outcome.contentType);
  res.send(isJsonOutcome(outcome.contentType) ? JSON.stringify(outcome.body) : outcome.body);
}

export { auditEntry, createHttpCore, toBracePath, toColonPath } from './pipeline.js';
export type { AccessWhere, HttpCore, NeutralRequest, Outcome, Where } from './pipeline.js';
export { problemOnClientError, toProblem, statusForCode } from './problem.js';
export type { Problem, ProblemBody } from './problem.js';
export { pumpSse, formatSse } from './sse.js';
