import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from '../events/bus.js';
import { JOB_FAILED } from './event-types.js';
import { eventRoutes } from '../events/routes.js';
import type { HttpContractServer, HttpContractServerOptions } from './http-adapter-contract.js';

interface Problem {
  code: string;
  errors?: { field: string; in?: string }[];
}

/**
 * `POST /events/publish` in the CloudEvents HTTP binding's content modes (DESIGN §2): structured
 * (`application/cloudevents+json`) and binary (`ce-*` headers, the data as the body), as the official SDKs send them.
 */
export function describeCloudEventsContract(name: string, start: (options: HttpContractServerOptions) => Promise<HttpContractServer>): void {
  describe(`HTTP adapter contract: ${name}: CloudEvents content modes`, () => {
    let server: HttpContractServer;
    let bus: EventBus;
    beforeAll(async () => {
      bus = createEventBus({ source: 'ce-modes' });
      bus.registry.register(JOB_FAILED);
      server = await start({ service: 'ce-modes', bus, routes: eventRoutes({ bus }), guarded: { path: '/plain', permission: 'ops:operate' } });
    });
    afterAll(async () => {
      await server?.close();
    });

    const publish = async (headers: Record<string, string>, body?: string) => {
      const res = await fetch(`${server.url}/events/publish`, { method: 'POST', headers: { 'x-user-roles': 'agent', ...headers }, ...(body === undefined ? {} : { body }) });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
    };
    const stored = async (id: string) => (await bus.query({ source: 'sdk', limit: 100 })).events.find((e) => e.id === id);
    const expectProblem = (res: { status: number; type: string; body: unknown }, status: number, code: string, fields?: string[]) => {
      expect(res.status).toBe(status);
      expect(res.type).toMatch(/^application\/problem\+json/);
      const p = res.body as Problem;
      expect(p.code).toBe(code);
      if (fields) expect(p.errors?.map((e) => e.field)).toEqual(fields);
      return p;
    };

    it('accepts structured mode (application/cloudevents+json)', async () => {
      const res = await publish(
        { 'content-type': 'application/cloudevents+json; charset=utf-8' },
        JSON.stringify({ specversion: '1.0', id: 's-1', type: 'mode.structured', source: 'sdk', data: { n: 1 }, tenantid: 'acme' }),
      );
      expect(res).toMatchObject({ status: 200, body: { status: 'ok', event_id: 's-1', duplicate: false } });
      expect(await stored('s-1')).toMatchObject({ type: 'mode.structured', data: { n: 1 }, tenantid: 'acme' });
    });

    it('accepts binary mode: ce-* headers are the attributes, the JSON body is the data', async () => {
      const headers = {
        'ce-specversion': '1.0',
        'ce-id': 'b-1',
        'ce-type': 'mode.binary',
        'ce-source': 'sdk',
        'ce-severity': 'warning',
        'ce-subject': 'caf%C3%A9 %22quoted%22',
      };
      const res = await publish({ ...headers, 'content-type': 'application/json; charset=utf-8' }, '{"sha":"abc"}');
      expect(res).toMatchObject({ status: 200, body: { status: 'ok', event_id: 'b-1', duplicate: false } });
      expect(await stored('b-1')).toMatchObject({ severity: 'warning', subject: 'café "quoted"', data: { sha: 'abc' }, datacontenttype: 'application/json; charset=utf-8' });
      // No body at all is an event without data, whatever Content-Type says.
      expect(await publish({ ...headers, 'ce-id': 'b-2', 'content-type': 'application/json' })).toMatchObject({ status: 200, body: { event_id: 'b-2' } });
      expect((await stored('b-2'))?.data ?? null).toBeNull();
    });

    it('names binary-mode mistakes where the publisher put them: the ce-* header or the body', async () => {
      const before = (await bus.stats()).total;
      const send = (headers: Record<string, string>, body: string, type = 'application/json') =>
        publish({ 'ce-specversion': '1.0', 'ce-source': 'sdk', 'content-type': type, ...headers }, body);
      const badType = expectProblem(await send({ 'ce-type': 'not a type!' }, '{}'), 400, 'validation_failed', ['ce-type']);
      expect(badType.errors?.[0]?.in).toBe('header');
      expectProblem(await send({ 'ce-type': 'job.failed' }, '{"service":1,"error":"e"}'), 400, 'validation_failed', ['service']);
      expectProblem(await send({ 'ce-type': 'mode.binary', 'ce-specversion': '0.3' }, '{}'), 400, 'validation_failed', ['ce-specversion']);
      expectProblem(await send({ 'ce-type': 'mode.binary' }, 'plain words', 'text/plain'), 415, 'unsupported_media_type');
      expect((await bus.stats()).total).toBe(before);
    });
  });
}
