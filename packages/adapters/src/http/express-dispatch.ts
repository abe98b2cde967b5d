import type { NextFunction, Request, Response } from 'express';

/** One route spec as mounted on the router: its method, template, Express route and handler chain. */
export interface MountedRoute {
  method: string;
  /** The route template, e.g. `/ops/services/{name}`. */
  path: string;
  /** The Express Route the router serves it through, set as `req.route` as the router would. */
  route: unknown;
  chain: readonly ChainHandler[];
}

/** A handler of a route's chain: Express's own (three arguments), or one that reads what the dispatcher passes on. */
export type ChainHandler = (req: Request, res: Response, next: NextFunction, extra?: never) => unknown;

type Segment = { text: string } | { param: string };
interface Compiled {
  mounted: MountedRoute;
  segments: readonly Segment[];
}

/**
 * Finds which route spec a request is for without stepping through Express's router, for the requests whose
 * answer is certain: the method is the route's own (not HEAD or OPTIONS), the path has no trailing or doubled slash
 * and no percent-encoding. Static segments compare without regard to case, as Express's router does by default;
 * routes are tried in the order they were mounted, so the first that matches is the router's first too. Anything
 * else is left to the router (`undefined`), which then answers exactly as before.
 * @example const find = routeFinder(mounted); const hit = find('GET', '/ops/services/api')
 */
export function routeFinder(routes: readonly MountedRoute[]): ((method: string, path: string) => { mounted: MountedRoute; params: Record<string, string> } | undefined) | undefined {
  const byMethod = new Map<string, Compiled[]>();
  for (const mounted of routes) {
    const segments = compile(mounted.path);
    // A template this matcher cannot read the way path-to-regexp does: leave every request to the router.
    if (segments === undefined) return undefined;
    let list = byMethod.get(mounted.method);
    if (list === undefined) byMethod.set(mounted.method, (list = []));
    list.push({ mounted, segments });
  }
  return (method, path) => {
    const list = byMethod.get(method);
    if (list === undefined || path.length < 2 || path.charCodeAt(0) !== 47 /* / */ || path.endsWith('/') || UNCERTAIN.test(path)) return undefined;
    const parts = path.slice(1).split('/');
    for (const { mounted, segments } of list) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const s = segments[i]!;
        if ('text' in s) ok = s.text === parts[i] || s.text.toLowerCase() === parts[i]!.toLowerCase();
        else params[s.param] = parts[i]!;
      }
      if (ok) return { mounted, params };
    }
    return undefined;
  };
}

/** Percent-encoding (params are decoded), doubled slashes and anything beyond ASCII (case folding differs). */
const UNCERTAIN = /%|\/\/|[^\x21-\x7e]/;

/** `/a/{b}` → [a, {b}]; undefined for what is not plain segments and whole-segment parameters. */
function compile(template: string): Segment[] | undefined {
  if (!template.startsWith('/') || template.length < 2 || template.endsWith('/')) return undefined;
  const out: Segment[] = [];
  for (const part of template.slice(1).split('/')) {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
    if (param) out.push({ param: param[1]! });
    else if (/^[A-Za-z0-9_.~-]+$/.test(part)) out.push({ text: part });
    else return undefined;
  }
  return out;
}

/**
 * Runs a route's handler chain as the router would: `next()` steps along, `next(error)` goes to the error handler,
 * and the end of the chain (or `next('route')`) hands the request back to the router's caller. Each handler gets
 * `extra` as a fourth argument, which Express's own handlers ignore.
 */
export function runChain(
  chain: readonly ChainHandler[],
  onError: (error: unknown, req: Request, res: Response, next: (error?: unknown) => void) => void,
  req: Request,
  res: Response,
  done: (error?: unknown) => void,
  extra?: unknown,
): void {
  let i = 0;
  const step = (error?: unknown): void => {
    if (error !== undefined && error !== 'route' && error !== 'router') return onError(error, req, res, done);
    const handler = error === undefined ? chain[i++] : undefined;
    if (handler === undefined) return done();
    try {
      const out = (handler as (req: Request, res: Response, next: typeof step, extra: unknown) => unknown)(req, res, step, extra);
      if (out instanceof Promise) out.catch((e: unknown) => step(e ?? new Error('a rejected handler')));
    } catch (e) {
      step(e);
    }
  };
  step();
}
