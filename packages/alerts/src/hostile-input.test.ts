import type { AddressInfo } from 'node:net';
import { createEgressPolicy, createMetricsRegistry, memoryStores, type StoredEvent } from '@aetherlink/core';
import { memoryLogger } from '@aetherlink/core/testing';
import { aetherlinkFastify, aetherlinkServerOptions } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertWorld } from './_testing/harness.js';
import { startWebhookSink, type WebhookSink } from './_testing/sink.js';
import { generateWebhookSecret } from './delivery/signing.js';
import { alertsModule, type AlertsModule } from './module.js';

// Every alert route against bad input, and every secret the module holds against every way out: log lines, error
// bodies, events, stats, lists and metrics. A real sink on 127.0.0.1 answers as each case needs.

const OPERATOR = { 'x-user-roles': 'operator' };
const S = 1000;
const MODULE_SECRET = generateWebhookSecret();
const API_SECRET = generateWebhookSecret();
const CONFIG_TOKEN = 'CFGTOKENabc123';
const API_TOKEN = 'APITOKENdef456';
const RECEIVER_SAYS = 'RECEIVER-BODY-MARKER';

let app: FastifyInstance;
let base: string;
let sink: WebhookSink;
let mod: AlertsModule;
let world: ReturnType<typeof alertWorld>;
let log: ReturnType<typeof memoryLogger>;
const answers: string[] = [];

beforeEach(async () => {
  answers.length = 0;
  // The configured endpoint's path says how it answers: a failure with a body, or 410 Gone.
  sink = await startWebhookSink((r) => (r.path.includes('gone') ? { status: 410 } : r.path.includes(CONFIG_TOKEN) ? { status: 500, body: `${RECEIVER_SAYS} at ${r.path}: ${r.body}` } : { status: 200 }));
  world = alertWorld();
  log = memoryLogger();
  const stores = memoryStores();
  mod = alertsModule({
    deliveries: stores.deliveries,
    documents: world.documents,
    owner: 'a',
    clock: world.clock,
    logger: log.logger,
    webhooks: [`slack+${sink.url}/services/T0/B0/${CONFIG_TOKEN}`],
    secret: MODULE_SECRET,
    egress: createEgressPolicy({ allow: ['127.0.0.1'] }),
    retry: { scheduleMs: [], jitter: 0 },
    rules: { bus: world.bus },
  });
  await mod.start!();
  app = Fastify({ forceCloseConnections: true, ...aetherlinkServerOptions() });
  await app.register(aetherlinkFastify, { service: 'cc', routes: mod.routes, bus: world.bus, logger: log.logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await app.close();
  await mod.close();
  await sink.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const raw = typeof body === 'string';
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...OPERATOR, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

describe('bad input to every alert route', () => {
  it('answers 4xx problem+json naming each bad field, never a 500', async () => {
    const { body: endpoint } = await call('GET', '/alerts/endpoints');
    const configId = endpoint!.endpoints[0].id as string;
    const long = 'x'.repeat(600);
    const cases: [method: string, path: string, body: unknown, fields: string[]][] = [
      ['POST', '/alerts/rules', { name: '', threshold: 'many', colour: 'red' }, ['name', 'threshold', 'window_seconds', 'colour']],
      ['GET', '/alerts/rules?enabled=maybe', undefined, ['enabled']],
      ['GET', `/alerts/rules/${long}`, undefined, ['id']],
      ['PUT', '/alerts/rules/r-1', { name: 'x', window_seconds: -5, threshold: 1, group_by: 'source' }, ['window_seconds', 'group_by']],
      ['PATCH', '/alerts/rules/r-1/enabled', { enabled: 'yes' }, ['enabled']],
      ['DELETE', `/alerts/rules/${long}`, undefined, ['id']],
      ['GET', `/alerts/rules/${long}/alerts`, undefined, ['id']],
      ['GET', '/alerts/active?status=loud', undefined, ['status']],
      ['POST', '/alerts/rules/preview', { from: 'then', to: 'now' }, ['from', 'to', 'rule']],
      ['GET', '/alerts/silences?active=sometimes', undefined, ['active']],
      ['POST', '/alerts/silences', { matchers: { severity: 'apocalyptic' }, ends_at: 'soon' }, ['matchers.severity', 'ends_at']],
      ['GET', `/alerts/silences/${long}`, undefined, ['id']],
      ['DELETE', `/alerts/silences/${long}`, undefined, ['id']],
      ['GET', '/alerts/templates?tenant=', undefined, ['tenant']],
      ['POST', '/alerts/templates/high-cpu/materialize', { threshold: 0, extra: 1 }, ['threshold', 'extra']],
      ['GET', '/alerts/deliveries?limit=0&status=lost', undefined, ['limit', 'status']],
      ['GET', '/alerts/deliveries/history?since=yesterday&cursor=', undefined, ['since', 'cursor']],
      ['GET', `/alerts/deliveries/${long}`, undefined, ['id']],
      ['POST', `/alerts/deliveries/${long}/replay`, undefined, ['id']],
      ['POST', '/alerts/deliveries/replay-bulk', { ids: [] }, ['ids']],
      ['POST', '/alerts/deliveries/replay-bulk', { ids: ['ghost', 7] }, ['ids.1']],
      ['POST', '/alerts/endpoints', { url: 'not a url', channel: 'pager', rate_limit: { per_second: -1, burst: 0 } }, ['url', 'channel', 'rate_limit.per_second', 'rate_limit.burst']],
      ['GET', `/alerts/endpoints/${long}`, undefined, ['id']],
      ['PATCH', `/alerts/endpoints/${configId}`, { enabled: 'no', filter: { severities: ['loud'] } }, ['enabled', 'filter.severities.0']],
      ['DELETE', `/alerts/endpoints/${long}`, undefined, ['id']],
      ['POST', `/alerts/endpoints/${long}/test`, undefined, ['id']],
      ['POST', `/alerts/endpoints/${configId}/replay-dead-letters`, { since: 'last tuesday' }, ['since']],
    ];
    for (const [method, path, body, fields] of cases) {
      const where = `${method} ${path.slice(0, 60)}`;
      const res = await call(method, path, body);
      expect(res.status, where).toBe(400);
      expect(res.type, where).toMatch(/^application\/problem\+json/);
      expect(res.body!.code, where).toBe('validation_failed');
      expect([...new Set((res.body!.errors as { field: string }[]).map((e) => e.field))].sort(), where).toEqual([...fields].sort());
    }
    // Not JSON, or not said to be JSON: the body is refused as a whole.
    const garbled = await call('POST', '/alerts/rules', '{"name": ', {});
    expect(garbled.status).toBe(400);
    expect(garbled.type).toMatch(/problem\+json/);
    expect((await call('POST', '/alerts/endpoints', 'url=x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('secrets', () => {
  it('never reach a log line, an error body, an event, the stats, the lists or the metrics', async () => {
    // An endpoint made through the API, with a token in its URL and a secret of its own; bad ones refused.
    const made = await call('POST', '/alerts/endpoints', { url: `${sink.url}/hooks/${API_TOKEN}`, secret: API_SECRET });
    expect(made.status).toBe(201);
    const gone = await call('POST', '/alerts/endpoints', { url: `${sink.url}/gone/${API_TOKEN}`, secret: API_SECRET });
    const refusals = [
      await call('POST', '/alerts/endpoints', { url: `${sink.url}/x`, secret: `whsec_${API_TOKEN}` }),
      await call('POST', '/alerts/endpoints', { url: `ftp://hooks.example/${API_TOKEN}` }),
      await call('POST', '/alerts/endpoints', { url: `http://10.1.2.3/${API_TOKEN}` }),
      await call('POST', '/alerts/endpoints', { url: `http://169.254.169.254/${API_TOKEN}` }),
      await call('PATCH', `/alerts/endpoints/${made.body!.endpoint.id}`, { secret: `whsec_${API_TOKEN}` }),
    ];
    for (const r of refusals) expect(r.status).toBe(400);

    // A rule fires from real events: the configured endpoint fails with a body, the API one delivers, one is gone.
    await mod.rules!.create({ name: 'api-errors', event_type: 'api.error', window_seconds: 60, threshold: 3 });
    await world.publish(3);
    await mod.evaluator!.evaluate();
    await mod.delivery.worker.runOnce();
    world.clock.advance(61 * S);
    await mod.evaluator!.evaluate();
    await mod.delivery.worker.runOnce();
    expect(sink.requests.length).toBeGreaterThanOrEqual(4);
    expect((await call('GET', `/alerts/endpoints/${gone.body!.endpoint.id}`)).body).toMatchObject({ enabled: false, disabled_reason: expect.stringContaining('410') });

    const outward = [
      log.text(),
      ...answers,
      JSON.stringify((await world.bus.store.query({ limit: 1000 })) as StoredEvent[]),
      (await call('GET', '/alerts/deliveries/stats')).text,
      (await call('GET', '/alerts/deliveries')).text,
      (await call('GET', '/alerts/deliveries/history?limit=500')).text,
      (await call('GET', '/alerts/endpoints')).text,
      (await call('GET', '/alerts/active?status=resolved')).text,
    ];
    const registry = createMetricsRegistry({ defaultMetrics: false });
    mod.metrics!(registry);
    outward.push(await registry.metrics());
    const all = outward.join('\n');
    for (const secret of [MODULE_SECRET.slice(6), API_SECRET.slice(6), CONFIG_TOKEN, API_TOKEN, RECEIVER_SAYS]) expect(all, secret).not.toContain(secret);
    expect(log.text()).toContain('dead-lettered');

    // A delivery's detail shows what the receiver answered, its own headers and body: still no secret or token.
    const dead = (await call('GET', '/alerts/deliveries/history?status=dead_letter')).body!.deliveries as { id: string }[];
    const detail = await call('GET', `/alerts/deliveries/${dead[0]!.id}`);
    expect(detail.body!.attempt_log[0].response_body).toContain(RECEIVER_SAYS);
    for (const secret of [MODULE_SECRET.slice(6), API_SECRET.slice(6), CONFIG_TOKEN, API_TOKEN]) expect(detail.text, secret).not.toContain(secret);
  });
});
