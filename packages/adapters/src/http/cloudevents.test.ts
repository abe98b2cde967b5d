import { createEventBus, eventRoutes, type EventBus } from '@aetherlink/core';
import type { HttpContractServer, HttpContractServerOptions } from '@aetherlink/core/testing';
import { CloudEvent, HTTP } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExpress, startFastify } from './test-support.js';

// The official CloudEvents SDK as a publisher, against both frameworks: what it sends must be accepted as it is.
const frameworks: [string, (options: HttpContractServerOptions) => Promise<HttpContractServer>][] = [
  ['express', startExpress],
  ['fastify', startFastify],
];

for (const [name, start] of frameworks) {
  describe(`POST /events/publish from the cloudevents SDK (${name})`, () => {
    let server: HttpContractServer;
    let bus: EventBus;
    beforeAll(async () => {
      bus = createEventBus({ source: 'ce-sdk' });
      server = await start({ service: 'ce-sdk', bus, routes: eventRoutes({ bus }), guarded: { path: '/plain', permission: 'ops:operate' } });
    });
    afterAll(() => server.close());

    const send = async (message: { headers: Record<string, unknown>; body: unknown }) => {
      const res = await fetch(`${server.url}/events/publish`, {
        method: 'POST',
        headers: { ...(message.headers as Record<string, string>), 'x-user-roles': 'agent' },
        body: message.body as string | undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const stored = async (id: string) => (await bus.query({ source: 'sdk-publisher', limit: 100 })).events.find((e) => e.id === id);

    it('accepts HTTP.structured(ce)', async () => {
      const ce = new CloudEvent({ type: 'deploy.finished', source: 'sdk-publisher', data: { sha: 'abc' }, severity: 'warning', tenantid: 'acme' });
      expect(await send(HTTP.structured(ce))).toEqual({ status: 200, body: { status: 'ok', event_id: ce.id, duplicate: false } });
      expect(await stored(ce.id)).toMatchObject({ type: 'deploy.finished', time: ce.time, data: { sha: 'abc' }, severity: 'warning', tenantid: 'acme' });
    });

    it('accepts HTTP.binary(ce), with and without data', async () => {
      const ce = new CloudEvent({ type: 'deploy.finished', source: 'sdk-publisher', data: { sha: 'def' }, subject: 'api', severity: 'error' });
      expect(await send(HTTP.binary(ce))).toEqual({ status: 200, body: { status: 'ok', event_id: ce.id, duplicate: false } });
      expect(await stored(ce.id)).toMatchObject({ type: 'deploy.finished', time: ce.time, subject: 'api', severity: 'error', data: { sha: 'def' } });
      const bare = new CloudEvent({ type: 'deploy.started', source: 'sdk-publisher' });
      expect(await send(HTTP.binary(bare))).toMatchObject({ status: 200, body: { event_id: bare.id } });
      expect((await stored(bare.id))?.data ?? null).toBeNull();
      // The same event again in the other mode is the same event: source + id dedupe.
      expect(await send(HTTP.structured(ce))).toMatchObject({ status: 200, body: { event_id: ce.id, duplicate: true } });
    });

    it('names the ce-* header of a bad attribute', async () => {
      const ce = new CloudEvent({ type: 'autoheal.failed', source: 'sdk-publisher', data: { service: 'api', error: 'exit 1' }, severity: 'loud' }, false);
      const res = await send(HTTP.binary(ce));
      expect(res).toMatchObject({ status: 400, body: { code: 'validation_failed', errors: [{ field: 'ce-severity', in: 'header' }] } });
    });
  });
}
