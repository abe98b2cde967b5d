import { createEgressPolicy, createManualClock, memoryStores, parseTraceparent, runWithTrace, type DeliveryRecord } from '@aetherlink/core';
import { eventually, memoryLogger } from '@aetherlink/core/testing';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { makeNotification } from './_testing/notifications.js';
import { startWebhookSink, type SinkAnswer, type SinkRequest, type WebhookSink } from './_testing/sink.js';
import { deliveryPart, type DeliveryPartOptions } from './delivery-part.js';
import { generateWebhookSecret } from './delivery/signing.js';

// Deliveries against real HTTP sinks on 127.0.0.1. Where the worker decides a time (the next attempt), the clock is
// a manual one; sends, timeouts and sockets are real.

const SECRET = generateWebhookSecret();
const SCHEDULE = [1000, 2000];
const sinks: WebhookSink[] = [];
const parts: { close(graceMs?: number): Promise<void> }[] = [];
afterEach(async () => {
  // Sends still hanging are cut short at once: the tests are over.
  await Promise.all(parts.splice(0).map((p) => p.close(0)));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function sink(answer?: (r: SinkRequest) => SinkAnswer) {
  const s = await startWebhookSink(answer);
  sinks.push(s);
  return s;
}

function setup(webhooks: string[], extra: Partial<DeliveryPartOptions> = {}) {
  const stores = memoryStores();
  const clock = createManualClock(Date.now());
  const log = memoryLogger();
  const part = deliveryPart({
    deliveries: stores.deliveries,
    documents: stores.documents,
    owner: 'test',
    webhooks,
    secret: SECRET,
    egress: createEgressPolicy({ allowLoopback: true }),
    retry: { scheduleMs: SCHEDULE, jitter: 0 },
    timeoutMs: 500,
    clock,
    logger: log.logger,
    ...extra,
  });
  parts.push(part);
  const all = async () => (await stores.deliveries.history({ limit: 500 })).deliveries;
  const one = async () => {
    const [d] = await all();
    return (await stores.deliveries.get(d!.id))!;
  };
  return { stores, clock, part, log, all, one };
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('delivery against real HTTP sinks', () => {
  it('200: one signed attempt, delivered; the official standardwebhooks library verifies the request', async () => {
    const s = await sink();
    const { part, one, clock } = setup([`${s.url}/ok`]);
    expect(await part.notifier.notify(makeNotification())).toEqual({ enqueued: 1 });
    await part.worker.runOnce();
    const d = await one();
    expect(d).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, delivered_at: iso(clock.now()) });
    expect(d.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, error: null, response_body: 'ok' })]);
    expect(d.attempt_log[0]!.duration_ms).toBeGreaterThan(0);
    const [req] = s.requests;
    expect(req!.webhookId).toBe(d.webhook_id);
    expect(req!.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(req!.headers['content-type']).toBe('application/cloudevents+json');
    const verified = new Webhook(SECRET).verify(req!.body, req!.headers as Record<string, string>);
    expect(verified).toMatchObject({ specversion: '1.0', type: 'ops.alert.raised', subject: 'billing-errors', data: { rule: { id: 'r-1' }, count: 12 } });
    expect(() => new Webhook(generateWebhookSecret()).verify(req!.body, req!.headers as Record<string, string>)).toThrow(/signature/i);
  });

  it('500 then 200: a failed attempt, the retry at the scheduled time, then delivered', async () => {
    const s = await sink((r) => (r.n === 1 ? { status: 500, body: 'boom' } : { status: 200 }));
    const { part, one, clock } = setup([s.url]);
    await part.notifier.notify(makeNotification());
    const t0 = clock.now();
    await part.worker.runOnce();
    expect(await one()).toMatchObject({ status: 'retrying', attempts: 1, last_status_code: 500, last_error: 'HTTP 500', next_attempt_at: iso(t0 + 1000) });
    clock.advance(999);
    expect(await part.worker.runOnce()).toBe(0);
    clock.advance(1);
    await part.worker.runOnce();
    const d = await one();
    expect(d).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(d.attempt_log.map((a) => [a.status_code, a.response_body, a.at])).toEqual([[500, 'boom', iso(t0)], [200, null, iso(t0 + 1000)]]);
    // The retry is the same message: the same webhook-id, signed again with its own timestamp.
    expect(s.requests.map((r) => r.webhookId)).toEqual([d.webhook_id, d.webhook_id]);
  });

  it('429 with Retry-After: the next attempt waits as long as the receiver asked', async () => {
    const s = await sink((r) => (r.n === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 }));
    const { part, one, clock } = setup([s.url]);
    await part.notifier.notify(makeNotification());
    const t0 = clock.now();
    await part.worker.runOnce();
    expect(await one()).toMatchObject({ status: 'retrying', last_status_code: 429, next_attempt_at: iso(t0 + 120_000) });
    clock.advance(119_999);
    expect(await part.worker.runOnce()).toBe(0);
    clock.advance(1);
    await part.worker.runOnce();
    expect(await one()).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('410: dead letter at once, the endpoint disabled, its waiting deliveries cancelled', async () => {
    const s = await sink(() => ({ status: 410, body: 'gone for good' }));
    const { part, stores, clock, all } = setup([s.url], { concurrency: 1 });
    await part.notifier.notify(makeNotification());
    await part.notifier.notify(makeNotification({ event_id: 'evt-2' }));
    await part.worker.runOnce();
    const byStatus = Object.fromEntries((await all()).map((d) => [d.status, d]));
    expect(byStatus.dead_letter).toMatchObject({ attempts: 1, last_status_code: 410 });
    expect(byStatus.cancelled).toMatchObject({ attempts: 0, last_error: 'its endpoint answered 410 Gone and was disabled' });
    expect(s.requests).toHaveLength(1);
    const [endpoint] = await part.endpoints.list();
    expect(endpoint!.data).toMatchObject({ enabled: false, disabled_reason: 'it answered 410 Gone' });
    // A new alert goes nowhere while the endpoint is disabled.
    expect(await part.notifier.notify(makeNotification({ event_id: 'evt-3' }))).toEqual({ enqueued: 0 });
    expect((await stores.deliveries.stats(clock.now())).total).toBe(2);
  });

  it('a hang and a reset connection: failed attempts with what happened, retried on schedule, dead-lettered after the last', async () => {
    const hang = await sink(() => 'hang');
    const reset = await sink(() => 'reset');
    const { part, stores, clock } = setup([`webhook+${hang.url}/h`, `webhook+${reset.url}/r`]);
    await part.notifier.notify(makeNotification());
    const t0 = clock.now();
    const get = async (url: string) => {
      const d = (await stores.deliveries.history({ limit: 10 })).deliveries.find((x) => x.endpoint.startsWith(url))!;
      return (await stores.deliveries.get(d.id))!;
    };
    await part.worker.runOnce();
    expect(await get(hang.url)).toMatchObject({ status: 'retrying', attempts: 1, last_status_code: null, last_error: 'no answer within 500 ms', next_attempt_at: iso(t0 + 1000) });
    expect((await get(reset.url)).last_error).toMatch(/connection was reset|socket/i);
    clock.advance(1000);
    await part.worker.runOnce();
    clock.advance(2000);
    await part.worker.runOnce();
    for (const url of [hang.url, reset.url]) {
      const d = await get(url);
      expect(d).toMatchObject({ status: 'dead_letter', attempts: 3, next_attempt_at: null });
      expect(d.attempt_log.map((a) => a.at)).toEqual([iso(t0), iso(t0 + 1000), iso(t0 + 3000)]);
    }
    expect(hang.requests).toHaveLength(3);
    expect(reset.requests).toHaveLength(3);
  });

  it('a hanging endpoint cannot stall deliveries to other endpoints', async () => {
    const hang = await sink(() => 'hang');
    const ok = await sink();
    const { part, clock } = setup([`webhook+${hang.url}/h`, `webhook+${ok.url}/ok`], { timeoutMs: 60_000, concurrency: 8, perEndpoint: 2 });
    for (let i = 0; i < 20; i++) await part.notifier.notify(makeNotification({ event_id: `evt-${i}` }));
    await part.worker.pump();
    // The hanging endpoint holds its two lanes; the other endpoint's twenty all arrive meanwhile.
    await eventually(() => ok.requests.length === 20, 'all twenty deliveries to the healthy endpoint');
    expect(hang.open()).toBe(2);
    for (let i = 20; i < 30; i++) await part.notifier.notify(makeNotification({ event_id: `evt-${i}` }));
    clock.advance(1000);
    await part.worker.pump();
    await eventually(() => ok.requests.length === 30, 'ten more deliveries while the hanging endpoint still hangs');
    expect(hang.open()).toBe(2);
  });

  it('replays a dead letter and a cancelled delivery in bulk: new ids, the same webhook-ids, delivered', async () => {
    let healthy = false;
    const s = await sink(() => (healthy ? { status: 204 } : { status: 503 }));
    const { part, stores, clock, all } = setup([s.url], { retry: { scheduleMs: [], jitter: 0 } });
    await part.notifier.notify(makeNotification());
    await part.notifier.notify(makeNotification({ event_id: 'evt-2' }));
    await part.worker.runOnce();
    const dead = await all();
    expect(dead.map((d) => d.status)).toEqual(['dead_letter', 'dead_letter']);
    healthy = true;
    const { replayed } = await stores.deliveries.replay(dead.map((d) => d.id), clock.now());
    await part.worker.runOnce();
    for (const copy of replayed) expect(await stores.deliveries.get(copy.id)).toMatchObject({ status: 'delivered', attempts: 1, replay_of: expect.any(String) });
    expect(s.requests.slice(2).map((r) => r.webhookId).sort()).toEqual(dead.map((d) => d.webhook_id).sort());
  });

  it('keeps the first 20 KB of what the receiver answered, and sends the trace the delivery was queued in (no tracer provider)', async () => {
    const s = await sink(() => ({ status: 500, body: 'x'.repeat(50_000) }));
    const { part, one } = setup([s.url]);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await runWithTrace(parseTraceparent(traceparent, 'vendor=abc'), () => part.notifier.notify(makeNotification()));
    await part.worker.runOnce();
    const d: DeliveryRecord & { attempt_log: { response_body: string | null }[] } = await one();
    expect(d.headers).toMatchObject({ traceparent, tracestate: 'vendor=abc' });
    expect(d.attempt_log[0]!.response_body).toHaveLength(20 * 1024);
    expect(s.requests[0]!.headers).toMatchObject({ traceparent, tracestate: 'vendor=abc' });
  });

  it('holds Slack to one message a second: later ones wait in the queue for their slots', async () => {
    const s = await sink();
    const { part, clock } = setup([`slack+${s.url}/services/T0/B0/token`]);
    const t0 = clock.now();
    for (let i = 0; i < 3; i++) await part.notifier.notify(makeNotification({ event_id: `evt-${i}` }));
    await part.worker.runOnce();
    expect(s.requests).toHaveLength(1);
    clock.advance(999);
    await part.worker.runOnce();
    expect(s.requests).toHaveLength(1);
    clock.advance(1);
    await part.worker.runOnce();
    expect(s.requests).toHaveLength(2);
    clock.set(t0 + 2000);
    await part.worker.runOnce();
    expect(s.requests).toHaveLength(3);
    expect(s.requests[0]!.json).toMatchObject({ text: expect.stringContaining('[FIRING] billing-errors'), blocks: expect.any(Array) });
  });
});

describe('the egress policy on deliveries', () => {
  it('refuses loopback targets at start, at enqueue and at connect time unless allowed or allow-listed', async () => {
    const s = await sink();
    // Configured: refused when the module is made.
    expect(() => setup([s.url], { egress: createEgressPolicy() })).toThrow(/ALERT_WEBHOOKS\[0\]: may not be called: 127\.0\.0\.1 is a loopback address/);
    // Allowed by the allow list alone.
    const listed = setup([s.url], { egress: createEgressPolicy({ allow: ['127.0.0.1'] }) });
    await listed.part.notifier.notify(makeNotification());
    await listed.part.worker.runOnce();
    expect((await listed.one()).status).toBe('delivered');
    // A delivery queued for an address the policy refuses is refused at connect time and dead-lettered at once.
    const strict = setup([], { egress: createEgressPolicy() });
    const d = await strict.stores.deliveries.enqueue({ endpoint: `http://localhost:${new URL(s.url).port}/x`, payload: {}, max_attempts: 8 }, strict.clock.now());
    await strict.part.worker.runOnce();
    expect(await strict.stores.deliveries.get(d.id)).toMatchObject({ status: 'dead_letter', attempts: 1, last_error: expect.stringMatching(/^egress refused: .*loopback/) });
    expect(s.requests).toHaveLength(1);
  });
});
