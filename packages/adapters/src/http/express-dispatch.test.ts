import type { Request, RequestHandler, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { routeFinder, runChain, type MountedRoute } from './express-dispatch.js';

const mounted = (method: string, path: string): MountedRoute => ({ method, path, route: { path }, chain: [] });

describe('routeFinder', () => {
  const routes = [mounted('GET', '/ops/services/{name}'), mounted('GET', '/ops/services/stats'), mounted('POST', '/ops/services/{name}/restart'), mounted('GET', '/events/recent')];
  const find = routeFinder(routes)!;
  const found = (method: string, path: string) => {
    const hit = find(method, path);
    return hit && { path: hit.mounted.path, params: hit.params };
  };

  it('finds the first route in mount order whose method and path match, with its parameters', () => {
    expect(found('GET', '/ops/services/api')).toEqual({ path: '/ops/services/{name}', params: { name: 'api' } });
    expect(found('GET', '/ops/services/stats')).toEqual({ path: '/ops/services/{name}', params: { name: 'stats' } });
    expect(found('POST', '/ops/services/api/restart')).toEqual({ path: '/ops/services/{name}/restart', params: { name: 'api' } });
    expect(found('GET', '/Events/RECENT')).toEqual({ path: '/events/recent', params: {} });
  });

  it('leaves to the router what it cannot be sure of, and what matches nothing', () => {
    for (const [method, path] of [
      ['HEAD', '/events/recent'],
      ['OPTIONS', '/events/recent'],
      ['GET', '/events/recent/'],
      ['GET', '/ops/services/a%2Fb'],
      ['GET', '/ops//services/x'],
      ['GET', '/ops/services/ünï'],
      ['GET', 'http://host/events/recent'],
      ['GET', '/events'],
      ['POST', '/events/recent'],
      ['GET', '/'],
    ] as const) {
      expect(find(method, path), `${method} ${path}`).toBeUndefined();
    }
  });

  it('gives up on every request when a template is more than plain segments and whole parameters', () => {
    expect(routeFinder([mounted('GET', '/a/{b}'), mounted('GET', '/files/{name}.json')])).toBeUndefined();
    expect(routeFinder([mounted('GET', '/a/')])).toBeUndefined();
  });
});

describe('runChain', () => {
  const req = {} as Request;
  const res = {} as Response;
  const run = (chain: RequestHandler[]) =>
    new Promise<{ via: string; error?: unknown }>((resolve) => {
      runChain(chain, (error) => resolve({ via: 'error handler', error }), req, res, (error?: unknown) => resolve({ via: 'done', error }));
    });

  it('steps along on next(), and hands the request back at the end of the chain', async () => {
    const order: number[] = [];
    expect(await run([(_q, _s, next) => (order.push(1), next()), (_q, _s, next) => (order.push(2), next())])).toEqual({ via: 'done', error: undefined });
    expect(order).toEqual([1, 2]);
    expect(await run([(_q, _s, next) => next('route'), () => order.push(3)])).toEqual({ via: 'done', error: undefined });
    expect(order).toEqual([1, 2]);
  });

  it('sends next(error), a throw and a rejection to the error handler', async () => {
    const boom = new Error('boom');
    expect(await run([(_q, _s, next) => next(boom)])).toEqual({ via: 'error handler', error: boom });
    expect(
      await run([
        () => {
          throw boom;
        },
      ]),
    ).toEqual({ via: 'error handler', error: boom });
    expect(await run([async () => Promise.reject(boom)])).toEqual({ via: 'error handler', error: boom });
  });
});
