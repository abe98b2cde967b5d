import { createHash, randomBytes } from 'node:crypto';
import { openPostgresStores } from '@aetherlink/adapters/postgres';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import { createEndpointDirectory, createNotifier, createRenderer, generateWebhookSecret } from '@aetherlink/alerts';
import { createEgressPolicy, type Stores } from '@aetherlink/core';
import { eventually } from '@aetherlink/core/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { makeNotification } from '../../../packages/alerts/src/_testing/notifications.js';
import { startWebhookSink, type WebhookSink } from '../../../packages/alerts/src/_testing/sink.js';
import { startServer, tempDbPath, type RunningServer } from './helpers.js';

// The reference server as its own process, sending alerts to sinks on 127.0.0.1: a signed Slack message end to end,
// and a queue of 1,000 alerts that survives the server being killed with SIGKILL halfway, on SQLite and PostgreSQL.
// Each start compiles the server from source (up to 60 s on a busy machine) and a crash leaves leases to run out.
vi.setConfig({ testTimeout: 300_000 });

const OPERATOR = { 'x-user-roles': 'operator' };
const running: RunningServer[] = [];
const sinks: WebhookSink[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await Promise.all(sinks.map((s) => s.close()));
});

async function start(env: Record<string, string>): Promise<RunningServer> {
  const s = await startServer({ DELIVERY_POLL_MS: '100', ALERT_WEBHOOK_ALLOW_PRIVATE: 'true', ...env });
  running.push(s);
  return s;
}
const get = async (s: RunningServer, path: string) =>
  (await fetch(`${s.url}${path}`, { headers: OPERATOR, signal: AbortSignal.timeout(10_000) })).json() as Promise<Record<string, any>>;

describe('alert delivery from the reference server', () => {
  it('sends a signed Slack-format POST to a sink, and never prints the secret or the webhook token', async () => {
    const sink = await startWebhookSink();
    sinks.push(sink);
    const secret = generateWebhookSecret();
    const server = await start({ ALERT_WEBHOOKS: `slack+${sink.url}/services/T000/B000/tokenXYZ`, ALERT_WEBHOOK_SECRET: secret, LOG_LEVEL: 'info' });
    const { endpoints } = await get(server, '/alerts/endpoints');
    expect(endpoints).toEqual([expect.objectContaining({ channel: 'slack', source: 'config', url: `${sink.url}/services/…`, secret_set: true, rate_limit: { per_second: 1, burst: 1 } })]);

    const queued = await fetch(`${server.url}/alerts/endpoints/${endpoints[0].id}/test`, { method: 'POST', headers: OPERATOR });
    expect(queued.status).toBe(202);
    const { delivery_id, webhook_id } = (await queued.json()) as { delivery_id: string; webhook_id: string };
    await eventually(() => sink.requests.length === 1, 'the Slack message at the sink');
    const [req] = sink.requests;
    expect(req!.path).toBe('/services/T000/B000/tokenXYZ');
    expect(req!.webhookId).toBe(webhook_id);
    expect(new Webhook(secret).verify(req!.body, req!.headers as Record<string, string>)).toMatchObject({
      text: expect.stringContaining('[FIRING] AetherLink test alert'),
      blocks: [{ type: 'header', text: { type: 'plain_text', text: '[FIRING] AetherLink test alert' } }, { type: 'section' }, { type: 'section' }, { type: 'context' }],
    });
    await eventually(async () => (await get(server, `/alerts/deliveries/${delivery_id}`)).status === 'delivered', 'the delivery recorded as delivered');
    expect(await get(server, `/alerts/deliveries/${delivery_id}`)).toMatchObject({ attempts: 1, attempt_log: [{ status_code: 200, error: null }] });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('aetherlink_alert_deliveries{status="delivered"} 1');
    expect(metrics).toMatch(/aetherlink_alert_delivery_attempt_duration_seconds_count\{outcome="delivered"\} 1/);
    expect(server.output()).not.toContain(secret.slice(6));
    expect(server.output()).not.toContain('tokenXYZ');
  });
});

const TOTAL = 1000;
/** About one alert in twenty is refused by the sink every time, so it ends in the dead letter. */
const refused = (id: string) => createHash('sha256').update(id).digest()[0]! < 13;

async function crashMidDelivery(open: () => Promise<Stores>, env: Record<string, string>, annotate: (m: string) => unknown) {
  const secret = generateWebhookSecret();
  const sink = await startWebhookSink((r) => (r.webhookId && refused(r.webhookId) ? { status: 500, delayMs: 10 } : { status: 200, delayMs: 10 }));
  sinks.push(sink);
  const webhook = `webhook+${sink.url}/alerts`;

  // 1,000 alerts queued through the notifier (no worker here), into the database the server will open.
  const before = await open();
  const endpoints = createEndpointDirectory({ documents: before.documents, configured: [webhook], secret, egress: createEgressPolicy({ allowLoopback: true }) });
  const notifier = createNotifier({ deliveries: before.deliveries, endpoints, renderer: createRenderer(), maxAttempts: 3 });
  for (let i = 0; i < TOTAL; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => notifier.notify(makeNotification({ event_id: `evt-${i + j}` }))));
  expect((await before.deliveries.stats(Date.now())).by_status.pending).toBe(TOTAL);
  await before.close();

  const serverEnv = { ...env, ALERT_WEBHOOKS: webhook, ALERT_WEBHOOK_SECRET: secret, ALERT_WEBHOOK_TIMEOUT_MS: '2000', ALERT_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms' };
  const first = await start(serverEnv);
  await eventually(() => sink.ids().size >= 250, 'a quarter of the alerts at the sink', 60_000);
  await first.crash();
  const atCrash = sink.ids().size;

  // It died halfway: some deliveries were not finished, some held by its leases.
  const between = await open();
  const mid = await between.deliveries.stats(Date.now());
  await between.close();
  expect(mid.by_status.delivered + mid.by_status.dead_letter).toBeLessThan(TOTAL);

  const second = await start(serverEnv);
  await eventually(
    async () => {
      const { by_status } = await get(second, '/alerts/deliveries/stats');
      return by_status.delivered + by_status.dead_letter === TOTAL;
    },
    'every alert delivered or dead-lettered after the restart',
    120_000,
    250,
  );
  const stats = await get(second, '/alerts/deliveries/stats');
  expect(stats).toMatchObject({ total: TOTAL, queue_depth: 0, by_status: { pending: 0, delivering: 0, retrying: 0, cancelled: 0 } });
  const ids = sink.ids();
  expect(ids.size, 'unique webhook-ids at the sink').toBe(TOTAL);
  const dead = (await get(second, '/alerts/deliveries/history?status=dead_letter&limit=500')).deliveries as { webhook_id: string }[];
  expect(dead.length).toBe(stats.by_status.dead_letter);
  expect(dead.every((d) => refused(d.webhook_id))).toBe(true);
  expect(sink.requests.every((r) => sink.verify(r, secret))).toBe(true);
  // A delivery in flight when the process died is sent again (at least once): count those duplicates.
  const successes = new Map<string, number>();
  for (const r of sink.requests) if (!refused(r.webhookId!)) successes.set(r.webhookId!, (successes.get(r.webhookId!) ?? 0) + 1);
  const duplicates = [...successes.values()].reduce((n, c) => n + c - 1, 0);
  annotate(`${TOTAL} alerts: ${mid.by_status.delivering} leased and ${mid.by_status.pending + mid.by_status.retrying} waiting when killed (sink had ${atCrash} ids); ${stats.by_status.delivered} delivered, ${stats.by_status.dead_letter} dead-lettered; ${ids.size} unique webhook-ids; ${duplicates} delivered twice`);
  expect(duplicates).toBeLessThanOrEqual(64);
}

describe('nothing lost: 1,000 queued alerts and a SIGKILL mid-delivery', () => {
  it('on SQLite', async ({ annotate }) => {
    const path = tempDbPath();
    await crashMidDelivery(async () => sqliteStores({ path }), { AETHERLINK_DB: path }, annotate);
  });

  it('on PostgreSQL', async ({ annotate }) => {
    const pg = inject('postgres');
    if ('error' in pg) throw new Error(`no PostgreSQL for the tests: ${pg.error}`);
    const schema = `cc_alerts_${randomBytes(4).toString('hex')}`;
    const open = () => openPostgresStores({ connectionString: pg.connectionString, schema, instanceId: 'test' });
    await crashMidDelivery(open, { DATABASE_URL: pg.connectionString, DATABASE_SCHEMA: schema }, annotate);
  });
});
