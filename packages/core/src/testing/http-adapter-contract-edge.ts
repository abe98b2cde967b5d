import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEventBus, type EventBus } from '../events/bus.js';
import { JOB_FAILED } from './event-types.js';
import { defineRoute } from '../http/route.js';
import { STORED_ROLES_MAX } from '../rbac/principal.js';
import type { HttpContractServer, HttpContractServerOptions } from './http-adapter-contract.js';
import { rawHttp, type RawResponse } from './raw-http.js';

const expectRawProblem = (res: RawResponse, status: number, code: string, fields?: string[]) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.body) as { status: number; code: string; detail: string; errors?: { field: string }[] };
  expect(body).toMatchObject({ status, code, type: `urn:aetherlink:problem:${code}` });
  if (fields) expect(body.errors?.map((e) => e.field)).toEqual(fields);
  return body;
};

/**
 * The HTTP edge: what the framework or Node's parser refuses before a route runs is problem+json too, an ambiguous
 * principal (a repeated roles header) is refused, and what a 403 stores about the caller is bounded.
 */
export function describeHttpEdgeContract(name: string, start: (options: HttpContractServerOptions) => Promise<HttpContractServer>): void {
  describe(`HTTP adapter contract: ${name}: the edge`, () => {
    let server: HttpContractServer;
    let bus: EventBus;

    beforeAll(async () => {
      bus = createEventBus({ source: 'edge' });
      bus.registry.register(JOB_FAILED);
      server = await start({
        service: 'edge',
        bus,
        guarded: { path: '/e/plain', permission: 'ops:operate' },
        routes: [
          defineRoute({
            method: 'GET',
            path: '/e/names/{name}',
            permission: 'ops:read',
            params: z.object({ name: z.string().max(200) }),
            handler: ({ params }) => ({ length: params.name.length }),
          }),
        ],
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('answers bad percent-encoding in the path with 400 problem+json naming the path', async () => {
      expectRawProblem(await rawHttp(server.url, { path: '/e/names/%ff', headers: [['x-user-roles', 'viewer']] }), 400, 'bad_request', ['path']);
    });

    it('lets a path parameter as long as the route schema allows reach the route', async () => {
      const res = await fetch(`${server.url}/e/names/${'n'.repeat(150)}`, { headers: { 'x-user-roles': 'viewer' } });
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { length: 150 } });
      const tooLong = await fetch(`${server.url}/e/names/${'n'.repeat(250)}`, { headers: { 'x-user-roles': 'viewer' } });
      expect(tooLong.status).toBe(400);
      expect(tooLong.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it("answers headers larger than Node's parser accepts with 431 problem+json", async () => {
      const res = await rawHttp(server.url, { path: '/e/names/a', headers: [['x-user-roles', 'viewer'], ['x-padding', 'p'.repeat(20_000)]] });
      expectRawProblem(res, 431, 'request_header_fields_too_large');
    });

    it('answers a request that is not HTTP with 400 problem+json', async () => {
      const res = await rawHttp(server.url, { path: '/e/names/a', headers: [['bad header', 'x']] });
      expectRawProblem(res, 400, 'bad_request');
    });

    it('refuses X-User-Roles or X-User-Id sent twice with 400 naming the header, on route specs and guarded routes', async () => {
      for (const path of ['/e/names/a', '/e/plain']) {
        const roles = await rawHttp(server.url, { path, headers: [['X-User-Roles', 'viewer'], ['x-user-roles', 'admin']] });
        expectRawProblem(roles, 400, 'validation_failed', ['x-user-roles']);
        const ids = await rawHttp(server.url, { path, headers: [['x-user-roles', 'admin'], ['x-user-id', 'a'], ['x-user-id', 'b']] });
        expectRawProblem(ids, 400, 'validation_failed', ['x-user-id']);
      }
      const once = await rawHttp(server.url, { path: '/e/plain', headers: [['x-user-roles', 'viewer, operator']] });
      expect(once.status).toBe(200);
    });

    it('stores a bounded list of roles in the violation event, however many the caller sent', async () => {
      const roles = Array.from({ length: 2500 }, (_, i) => `r${i}`);
      const res = await fetch(`${server.url}/e/plain`, { headers: { 'x-user-roles': roles.join(','), 'x-user-id': 'many-roles' } });
      expect(res.status).toBe(403);
      const problem = (await res.json()) as { detail: string };
      expect(problem.detail.length).toBeLessThan(1000);
      await expect.poll(async () => (await bus.query({ type: 'security.rbac.violation' })).events.length).toBe(1);
      const [violation] = (await bus.query({ type: 'security.rbac.violation' })).events;
      const data = violation!.data as { roles: string[]; roles_count: number; principal: string };
      expect(data).toMatchObject({ principal: 'many-roles', roles_count: 2500 });
      expect(data.roles).toEqual(roles.slice(0, STORED_ROLES_MAX));
      expect(JSON.stringify(violation).length).toBeLessThan(2000);
    });
  });
}
