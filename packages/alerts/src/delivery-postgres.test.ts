import { createEgressPolicy, createEventBus, createManualClock, silentLogger } from '@aetherlink/core';
import { openPostgresStores, type PostgresStores } from '@aetherlink/adapters/postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../test/postgres.js';
import { makeNotification } from './_testing/notifications.js';
import { startWebhookSink, type WebhookSink } from './_testing/sink.js';
import { deliveryPart } from './delivery-part.js';
import { generateWebhookSecret } from './delivery/signing.js';
import { alertsModule } from './module.js';

let schema = '';
let opened: PostgresStores[] = [];
let parts: { close(): Promise<void> | void }[] = [];
let sink: WebhookSink | undefined;
afterEach(async () => {
  await Promise.all(parts.map((p) => p.close()));
  await Promise.all(opened.map((s) => s.close()));
  await sink?.close();
  parts = [];
  opened = [];
  await dropSchema(schema);
});

describe('two instances on one PostgreSQL', () => {
  it('deliver each queued alert exactly once between them, signed, with the configured endpoint made once', async () => {
    schema = uniqueSchema('alerts');
    sink = await startWebhookSink((r) => (r.n % 7 === 0 ? { status: 500 } : { status: 200 }));
    const secret = generateWebhookSecret();
    const instance = async (owner: string) => {
      const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId: owner, poolSize: 6 });
      opened.push(stores);
      const part = deliveryPart({
        deliveries: stores.deliveries,
        documents: stores.documents,
        owner,
        webhooks: [`${sink!.url}/hook`],
        secret,
        egress: createEgressPolicy({ allowLoopback: true }),
        retry: { scheduleMs: [0, 0, 0], jitter: 0 },
        concurrency: 16,
      });
      parts.push(part);
      return { stores, part };
    };
    const [a, b] = await Promise.all([instance('pa'), instance('pb')]);
    await Promise.all([a.part.start(), b.part.start()]);
    expect(await a.part.endpoints.list()).toHaveLength(1);

    const total = 300;
    for (let i = 0; i < total; i += 30) {
      await Promise.all(Array.from({ length: 30 }, (_, j) => (j % 2 ? a : b).part.notifier.notify(makeNotification({ event_id: `evt-${i + j}` }))));
    }
    const delivered = async () => (await a.stores.deliveries.stats(Date.now())).by_status.delivered;
    for (let round = 0; round < 200 && (await delivered()) < total; round++) await Promise.all([a.part.worker.runOnce(), b.part.worker.runOnce()]);
    expect(await delivered()).toBe(total);

    // Each webhook-id arrived once with a 2xx answer (a 500 is answered again by its retry, never twice by two instances).
    const succeeded = new Map<string, number>();
    for (const r of sink.requests) if (r.n % 7 !== 0) succeeded.set(r.webhookId!, (succeeded.get(r.webhookId!) ?? 0) + 1);
    expect(succeeded.size).toBe(total);
    expect([...succeeded.values()].filter((n) => n !== 1)).toEqual([]);
    expect(sink.requests.every((r) => sink!.verify(r, secret))).toBe(true);
    expect(sink.requests.filter((r) => r.n % 7 !== 0)).toHaveLength(total);
  });
});

describe('two full alert modules on one PostgreSQL', () => {
  it('evaluating and delivering at once: one signed message per notice at the receiver, not one per instance', async () => {
    schema = uniqueSchema('alerts');
    sink = await startWebhookSink();
    const secret = generateWebhookSecret();
    const clock = createManualClock();
    const instance = async (owner: string) => {
      const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId: owner, poolSize: 6 });
      opened.push(stores);
      const bus = createEventBus({ clock, store: stores.events, source: 'cc' });
      const mod = alertsModule({
        deliveries: stores.deliveries,
        documents: stores.documents,
        owner,
        clock,
        logger: silentLogger,
        webhooks: [`${sink!.url}/hook`],
        secret,
        egress: createEgressPolicy({ allowLoopback: true }),
        rules: { bus },
      });
      parts.push(mod);
      await mod.start!();
      return { bus, mod };
    };
    const [a, b] = await Promise.all([instance('ma'), instance('mb')]);
    await a.mod.rules!.create({ name: 'api-errors', event_type: 'api.error', window_seconds: 60, threshold: 3, group_by: ['source'] });
    for (const source of ['billing', 'billing', 'billing', 'search', 'search', 'search']) await a.bus.publish({ type: 'api.error', source, data: {} });

    const round = async () => {
      await Promise.all([a.mod.evaluator!.evaluate(), b.mod.evaluator!.evaluate()]);
      await Promise.all([a.mod.delivery.worker.runOnce(), b.mod.delivery.worker.runOnce()]);
    };
    await round();
    await round();
    clock.advance(61_000);
    await round();
    await round();

    const ids = [...sink.ids().entries()];
    expect(ids.map(([id]) => id.split(':').pop()).sort()).toEqual(['firing', 'firing', 'resolved', 'resolved']);
    expect(ids.every(([, n]) => n === 1)).toBe(true);
    expect(sink.requests.every((r) => sink!.verify(r, secret, clock.now()))).toBe(true);
  });
});
