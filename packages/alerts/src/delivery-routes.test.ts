import type { AddressInfo } from 'node:net';
import { buildOpenApi, createEgressPolicy, createManualClock, createMetricsRegistry, memoryStores, type ManualClock, type Stores } from '@aetherlink/core';
import { memoryLogger } from '@aetherlink/core/testing';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conformingRoutes, type RouteConformance } from './_testing/conformance.js';
import { makeNotification } from './_testing/notifications.js';
import { startWebhookSink, type WebhookSink } from './_testing/sink.js';
import { generateWebhookSecret } from './delivery/signing.js';
import { alertsModule, type AlertsModule } from './module.js';

const OPERATOR = { 'x-user-roles': 'operator' };
const VIEWER = { 'x-user-roles': 'viewer' };
const MODULE_SECRET = generateWebhookSecret();

let app: FastifyInstance;
let base: string;
let stores: Stores;
let clock: ManualClock;
let alerts: AlertsModule;
let sink: WebhookSink;
let failing = false;
let log: ReturnType<typeof memoryLogger>;
let checked: RouteConformance;

beforeEach(async () => {
  failing = false;
  sink = await startWebhookSink(() => (failing ? { status: 503, body: 'down' } : { status: 200 }));
  stores = memoryStores();
  clock = createManualClock(Date.parse('2026-03-01T12:00:00.000Z'));
  log = memoryLogger();
  alerts = alertsModule({
    deliveries: stores.deliveries,
    documents: stores.documents,
    owner: 'me',
    webhooks: [`${sink.url}/services/T0/B0/config-token`],
    secret: MODULE_SECRET,
    egress: createEgressPolicy({ allow: ['127.0.0.1'] }),
    retry: { scheduleMs: [], jitter: 0 },
    clock,
    logger: log.logger,
  });
  app = Fastify({ forceCloseConnections: true });
  // Every answer is held to the OpenAPI document: status, and a body its response schema names in full.
  checked = conformingRoutes(alerts.routes);
  await app.register(aetherlinkFastify, { service: 'cc', routes: checked.routes });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await app.close();
  await alerts.close();
  await sink.close();
  expect(checked.problems).toEqual([]);
});

async function call(method: string, path: string, headers: Record<string, string> = OPERATOR, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

/** Queues one alert per event id and works the queue once. */
async function deliver(...events: string[]) {
  for (const event_id of events) await alerts.notifier.notify(makeNotification({ event_id }));
  await alerts.delivery.worker.runOnce();
}

describe('endpoint routes', () => {
  it('creates an endpoint, answers its generated secret once, and never shows a secret again', async () => {
    const created = await call('POST', '/alerts/endpoints', OPERATOR, { url: `${sink.url}/hooks/team-a/xyz`, filter: { severities: ['critical'] }, description: 'team A' });
    expect(created.status).toBe(201);
    const secret = created.body!.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(created.body!.endpoint).toMatchObject({ channel: 'webhook', url: `${sink.url}/hooks/…`, secret_set: true, enabled: true, health: { status: 'unknown', attempts: 0 } });
    const id = created.body!.endpoint.id as string;
    const listed = await call('GET', '/alerts/endpoints', VIEWER);
    expect(listed.body!.count).toBe(2);
    expect(listed.text).not.toContain(secret.slice(6));
    expect(listed.text).not.toContain('config-token');
    expect(listed.body!.endpoints.find((e: { source: string }) => e.source === 'config')).toMatchObject({ channel: 'webhook', rate_limit: null, secret_set: true, url: `${sink.url}/services/…` });
    const one = await call('GET', `/alerts/endpoints/${id}`, VIEWER);
    expect(one.body).toMatchObject({ id, filter: { severities: ['critical'], rule_ids: null, tenant: null, send_resolved: true } });
    expect(one.text).not.toContain(secret.slice(6));

    // Its deliveries are signed with its own secret.
    await deliver('evt-1');
    const mine = sink.requests.find((r) => r.path === '/hooks/team-a/xyz')!;
    expect(sink.verify(mine, secret, clock.now())).toBe(true);
    const own = await call('POST', '/alerts/endpoints', OPERATOR, { url: `${sink.url}/b`, secret: generateWebhookSecret() });
    expect(own.body!.secret).toBeUndefined();
    expect(log.text()).not.toContain(secret.slice(6));
    expect(log.text()).not.toContain(MODULE_SECRET.slice(6));
  });

  it('refuses a bad URL, secret or target, naming the field and echoing no secret', async () => {
    const badSecret = await call('POST', '/alerts/endpoints', OPERATOR, { url: `${sink.url}/x`, secret: 'whsec_tooshort-but-secret' });
    expect(badSecret.status).toBe(400);
    expect(badSecret.type).toMatch(/problem\+json/);
    expect(badSecret.body!.errors).toEqual([{ field: 'secret', message: expect.stringMatching(/whsec_/), in: 'body' }]);
    expect(badSecret.text).not.toContain('tooshort-but-secret');
    const refused = await call('POST', '/alerts/endpoints', OPERATOR, { url: 'http://10.1.2.3/hook' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'egress_refused', errors: [{ field: 'url', message: expect.stringMatching(/private address/) }] });
    const metadata = await call('POST', '/alerts/endpoints', OPERATOR, { url: 'http://169.254.169.254/latest' });
    expect(metadata.body!.errors[0].message).toMatch(/link-local|metadata/);
    expect((await call('POST', '/alerts/endpoints', OPERATOR, { url: 'gopher://x' })).body!.errors).toEqual([{ field: 'url', message: 'must be an http or https URL', in: 'body' }]);
    expect((await call('POST', '/alerts/endpoints', OPERATOR, { url: `${sink.url}/x`, rate_limit: { per_second: 0, burst: 1 } })).body!.errors[0].field).toBe('rate_limit.per_second');
    expect((await call('POST', '/alerts/endpoints', VIEWER, { url: `${sink.url}/x` })).status).toBe(403);
    expect((await call('GET', '/alerts/endpoints', {})).status).toBe(401);
  });

  it('reports health, is disabled by a 410 and re-enabled by an operator, and cancels waiting deliveries when removed', async () => {
    const [config] = (await call('GET', '/alerts/endpoints')).body!.endpoints as { id: string }[];
    await deliver('evt-1');
    failing = true;
    clock.advance(1000);
    await deliver('evt-2', 'evt-3');
    const health = (await call('GET', `/alerts/endpoints/${config!.id}`)).body!.health;
    expect(health).toMatchObject({ status: 'failing', attempts: 3, success_rate: 0.3333, consecutive_failures: 2, last_failure: { status_code: 503, error: 'HTTP 503' } });
    expect(health.last_success_at).toBe(new Date(clock.now() - 1000).toISOString());

    // One message a thousand seconds: the second alert waits in the queue for its slot.
    const api = (await call('POST', '/alerts/endpoints', OPERATOR, { url: `${sink.url}/api`, rate_limit: { per_second: 0.001, burst: 1 } })).body!.endpoint.id as string;
    expect((await call('PATCH', `/alerts/endpoints/${api}`, OPERATOR, { enabled: false })).body).toMatchObject({ enabled: false, disabled_reason: 'disabled by an operator', health: { status: 'disabled' } });
    expect((await call('PATCH', `/alerts/endpoints/${api}`, OPERATOR, { enabled: true, filter: { send_resolved: false } })).body).toMatchObject({ enabled: true, disabled_reason: null, filter: { send_resolved: false } });
    expect((await call('PATCH', '/alerts/endpoints/ghost', OPERATOR, { enabled: true })).status).toBe(404);
    expect((await call('DELETE', `/alerts/endpoints/${config!.id}`)).status).toBe(409);
    await deliver('evt-4', 'evt-5');
    const removed = await call('DELETE', `/alerts/endpoints/${api}`);
    expect(removed.body).toEqual({ status: 'ok', cancelled: 1 });
    expect((await call('GET', `/alerts/endpoints/${api}`)).status).toBe(404);
  });
});

describe('test alerts', () => {
  it('queues a test alert for one endpoint, whatever its filter, and delivers it signed', async () => {
    const created = await call('POST', '/alerts/endpoints', OPERATOR, { url: `slack+${sink.url}/services/T1/B1/tok`, filter: { severities: ['critical'] } });
    const id = created.body!.endpoint.id as string;
    const queued = await call('POST', `/alerts/endpoints/${id}/test`);
    expect(queued.status).toBe(202);
    expect(queued.body).toEqual({ status: 'ok', delivery_id: expect.any(String), webhook_id: expect.any(String) });
    await alerts.delivery.worker.runOnce();
    const got = sink.requests.find((r) => r.webhookId === queued.body!.webhook_id)!;
    expect(got.json).toMatchObject({ text: expect.stringContaining('[FIRING] AetherLink test alert'), blocks: expect.any(Array) });
    expect(sink.verify(got, created.body!.secret, clock.now())).toBe(true);
    expect((await call('POST', '/alerts/endpoints/ghost/test')).status).toBe(404);
    await call('PATCH', `/alerts/endpoints/${id}`, OPERATOR, { enabled: false });
    expect((await call('POST', `/alerts/endpoints/${id}/test`)).status).toBe(409);
  });
});

describe('delivery routes', () => {
  it('shows the queue, stats, pages of history and one delivery with its attempts', async () => {
    failing = true;
    await deliver('evt-1');
    clock.advance(60_000);
    failing = false;
    // Queued straight into the store, so no worker picks them up before the routes look.
    const [config] = (await call('GET', '/alerts/endpoints')).body!.endpoints as { id: string }[];
    for (const event_id of ['evt-2', 'evt-3']) await stores.deliveries.enqueue({ endpoint: `${sink.url}/q`, endpoint_id: config!.id, payload: {}, max_attempts: 1, event_id }, clock.now());
    clock.advance(30_000);

    const queue = await call('GET', '/alerts/deliveries', VIEWER);
    expect(queue.body).toMatchObject({ count: 2, next_cursor: null });
    expect(queue.body!.deliveries.map((d: { event_id: string }) => d.event_id)).toEqual(['evt-3', 'evt-2']);
    expect(queue.body!.deliveries[0]).not.toHaveProperty('payload');
    expect(queue.text).not.toContain('config-token');
    const stats = await call('GET', '/alerts/deliveries/stats', VIEWER);
    expect(stats.body).toMatchObject({ total: 3, due: 2, queue_depth: 2, oldest_due_age_seconds: 30, by_status: { pending: 2, dead_letter: 1 }, endpoints: { total: 1, enabled: 1, disabled: 0 } });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `/alerts/deliveries/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`, VIEWER);
      seen.push(...page.body!.deliveries.map((d: { event_id: string }) => d.event_id));
      cursor = page.body!.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['evt-3', 'evt-2', 'evt-1']);
    expect((await call('GET', '/alerts/deliveries/history?status=dead_letter,cancelled', VIEWER)).body!.deliveries.map((d: { event_id: string }) => d.event_id)).toEqual(['evt-1']);
    expect((await call('GET', '/alerts/deliveries/history?since=1m', VIEWER)).body!.deliveries).toHaveLength(2);
    const bad = await call('GET', '/alerts/deliveries/history?status=lost&limit=0&cursor=zzz', VIEWER);
    expect(bad.status).toBe(400);
    expect(bad.body!.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'status']);
    expect((await call('GET', '/alerts/deliveries/history?cursor=zzz', VIEWER)).body!.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    expect((await call('GET', '/alerts/deliveries?status=delivered', VIEWER)).status).toBe(400);

    const dead = (await call('GET', '/alerts/deliveries/history?status=dead_letter', VIEWER)).body!.deliveries[0];
    const detail = await call('GET', `/alerts/deliveries/${dead.id}`, VIEWER);
    expect(detail.body).toMatchObject({ id: dead.id, status: 'dead_letter', payload: { specversion: '1.0', id: 'evt-1' }, attempt_log: [{ attempt: 1, status_code: 503, error: 'HTTP 503', response_body: 'down' }] });
    expect((await call('GET', '/alerts/deliveries/nope', VIEWER)).status).toBe(404);
  });

  it('replays one and many: the same webhook-ids, fresh attempts, delivered; bulk is all or nothing', async () => {
    failing = true;
    await deliver('evt-1', 'evt-2', 'evt-3');
    failing = false;
    const dead = (await call('GET', '/alerts/deliveries/history?status=dead_letter')).body!.deliveries as { id: string; webhook_id: string }[];
    expect(dead).toHaveLength(3);

    const one = await call('POST', `/alerts/deliveries/${dead[0]!.id}/replay`);
    expect(one.body).toEqual({ status: 'ok', new_id: expect.any(String), original_id: dead[0]!.id });
    expect((await call('POST', '/alerts/deliveries/ghost/replay')).status).toBe(404);
    expect((await call('POST', `/alerts/deliveries/${dead[0]!.id}/replay`, VIEWER)).status).toBe(403);

    const refused = await call('POST', '/alerts/deliveries/replay-bulk', OPERATOR, { ids: [dead[1]!.id, 'ghost', dead[2]!.id] });
    expect(refused.status).toBe(400);
    expect(refused.body!.errors).toEqual([{ field: 'ids[1]', message: 'no delivery has the id "ghost"', in: 'body' }]);
    expect((await call('POST', '/alerts/deliveries/replay-bulk', OPERATOR, { ids: [dead[1]!.id, dead[1]!.id] })).body!.errors[0].field).toBe('ids');
    expect((await call('GET', '/alerts/deliveries/stats')).body!.total).toBe(4);

    const bulk = await call('POST', '/alerts/deliveries/replay-bulk', OPERATOR, { ids: [dead[1]!.id, dead[2]!.id] });
    expect(bulk.body).toMatchObject({ status: 'ok', count: 2, results: [{ original_id: dead[1]!.id }, { original_id: dead[2]!.id }] });
    await alerts.delivery.worker.runOnce();
    for (const id of [one.body!.new_id, ...bulk.body!.results.map((r: { new_id: string }) => r.new_id)]) {
      expect((await call('GET', `/alerts/deliveries/${id}`)).body).toMatchObject({ status: 'delivered', attempts: 1, replay_of: expect.any(String) });
    }
    const redelivered = sink.requests.filter((r) => r.headers['webhook-signature']).slice(3).map((r) => r.webhookId);
    expect(redelivered.sort()).toEqual(dead.map((d) => d.webhook_id).sort());
  });

  it('replays every dead letter of an endpoint since a time, and refuses while the endpoint is disabled', async () => {
    const [config] = (await call('GET', '/alerts/endpoints')).body!.endpoints as { id: string }[];
    failing = true;
    await deliver('evt-old');
    clock.advance(3_600_000);
    const since = new Date(clock.now()).toISOString();
    await deliver('evt-a', 'evt-b');
    failing = false;
    const replayed = await call('POST', `/alerts/endpoints/${config!.id}/replay-dead-letters`, OPERATOR, { since });
    expect(replayed.body).toMatchObject({ status: 'ok', count: 2, truncated: false });
    await alerts.delivery.worker.runOnce();
    expect((await call('GET', '/alerts/deliveries/stats')).body!.by_status).toMatchObject({ delivered: 2, dead_letter: 3 });
    expect((await call('POST', `/alerts/endpoints/${config!.id}/replay-dead-letters`, OPERATOR, { since: 'yesterday' })).body!.errors[0].field).toBe('since');
    await call('PATCH', `/alerts/endpoints/${config!.id}`, OPERATOR, { enabled: false });
    expect((await call('POST', `/alerts/endpoints/${config!.id}/replay-dead-letters`, OPERATOR, { since })).status).toBe(409);
    const deadId = (await call('GET', '/alerts/deliveries/history?status=dead_letter')).body!.deliveries[0].id;
    const blocked = await call('POST', '/alerts/deliveries/replay-bulk', OPERATOR, { ids: [deadId] });
    expect(blocked.body!.errors[0].message).toMatch(/is disabled \(disabled by an operator\); enable it first/);
  });

  it('documents a response schema for every route', () => {
    const doc = buildOpenApi(alerts.routes, { title: 't', version: '1' }) as { paths: Record<string, Record<string, { responses: Record<string, { content: { 'application/json': { schema: Record<string, unknown> } } }> }>> };
    for (const route of alerts.routes) {
      const responses = doc.paths[route.path]![route.method.toLowerCase()]!.responses;
      // The success answer: 200, 201 where a route creates something, 202 where it queues something.
      const schema = Object.entries(responses).find(([s]) => s.startsWith('2'))![1].content['application/json'].schema;
      expect(Object.keys(schema).length, `${route.method} ${route.path}`).toBeGreaterThan(0);
    }
  });
});

describe('delivery metrics', () => {
  it('exposes deliveries by status, attempt latency, queue depth and the age of the oldest due delivery', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    alerts.metrics!(registry);
    await deliver('evt-1');
    await alerts.notifier.notify(makeNotification({ event_id: 'evt-2' }));
    clock.advance(42_000);
    const text = await registry.metrics();
    expect(text).toContain('aetherlink_alert_deliveries{status="delivered"} 1');
    expect(text).toContain('aetherlink_alert_deliveries{status="pending"} 1');
    expect(text).toContain('aetherlink_alert_delivery_queue_depth 1');
    expect(text).toContain('aetherlink_alert_delivery_oldest_due_age_seconds 42');
    expect(text).toMatch(/aetherlink_alert_delivery_attempt_duration_seconds_count\{outcome="delivered"\} 1/);
  });
});
