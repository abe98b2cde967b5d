// Issue #17, item 4: the reference server as its own process under mixed load — publishes, rule evaluation,
// webhook deliveries, auto-heal of a real container that never gets well, SSE subscribers — is killed with SIGKILL
// and started again on the same database, on SQLite and on PostgreSQL. Nothing acknowledged is lost, every firing
// alert reaches the receiver, a notice arrives more than once only under its one webhook-id (at least once), and
// the heal state (budget, backoff) goes on from where it was.
import { randomBytes } from 'node:crypto';
import { eventually } from '@aetherlink/core/testing';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDocker } from '../../../../packages/adapters/src/runtime/test-support.js';
import { freePort } from '../../../../test/postgres-server.js';
import { testDatabaseUrl, uniqueSchema } from '../../../../test/postgres.js';
import { startServer, tempDbPath, type RunningServer } from '../helpers.js';
import { startLoad, startSink, storedIds, type Sink } from './load.js';

vi.setConfig({ testTimeout: 300_000 });

const OPERATOR = { 'x-user-roles': 'operator', 'content-type': 'application/json' };
const SECRET = `whsec_${Buffer.from('hardening-crash-test-secret-32by').toString('base64')}`;

type HealView = { budget: { used: number }; backoff: { attempt: number }; quarantine: unknown };

describe.each(['sqlite', 'postgres'] as const)('SIGKILL under mixed load, on %s', (backend) => {
  let sink: Sink;
  let docker: Docker;
  const container = `al-crash-${randomBytes(4).toString('hex')}`;
  const servers: RunningServer[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    // Slow answers keep deliveries in flight when the process is killed.
    sink = await startSink('slow', 400);
    const { socketPath, image } = testDocker();
    docker = new Docker({ socketPath });
    const made = await docker.createContainer({ name: container, Image: image, Cmd: ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 1; done"], HostConfig: { NetworkMode: 'host' } });
    await made.start();
    const store: Record<string, string> = backend === 'sqlite' ? { AETHERLINK_DB: tempDbPath() } : { DATABASE_URL: testDatabaseUrl(), DATABASE_SCHEMA: uniqueSchema('crash') };
    env = {
      ...store,
      SELF_REGISTER: 'false',
      ALERT_WEBHOOKS: `${sink.url}/hook`,
      ALERT_WEBHOOK_SECRET: SECRET,
      ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
      ALERT_WEBHOOK_RETRY_SCHEDULE: '1s,1s,2s,5s,10s',
      ALERT_EVAL_INTERVAL_SECONDS: '1',
      DELIVERY_POLL_MS: '100',
      AUTOHEAL_RUNTIME: 'docker',
      DOCKER_HOST: `unix://${socketPath}`,
      // Nothing answers there: every check fails, every heal fails its verification.
      AUTOHEAL_SERVICES: JSON.stringify([{ name: 'flaky', runtime_id: container, health_url: `http://127.0.0.1:${await freePort()}/health`, start_grace_seconds: 1 }]),
      AUTOHEAL_INTERVAL_SECONDS: '1',
      AUTOHEAL_FAILURE_THRESHOLD: '1',
      AUTOHEAL_CHECK_TIMEOUT_MS: '300',
      AUTOHEAL_PULL_FROM_REGISTRY: 'false',
    };
  });
  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    await sink?.close();
    await docker?.getContainer(container).remove({ force: true }).catch(() => undefined);
  });

  const get = async <T>(url: string, path: string) => (await (await fetch(`${url}${path}`, { headers: OPERATOR })).json()) as T;

  it('loses no acknowledged event and no notice, repeats a notice only under its webhook-id, and keeps the heal state', async () => {
    const first = await startServer(env);
    servers.push(first);
    const rule = await fetch(`${first.url}/alerts/rules`, {
      method: 'POST',
      headers: OPERATOR,
      body: JSON.stringify({ name: 'load errors', event_type: 'load.error', window_seconds: 120, threshold: 5, group_by: ['source'] }),
    });
    expect(rule.status).toBe(201);
    const load = startLoad(first.url, { tag: `${backend}-crash`, publishers: 6, subscribers: 2, sources: 10 });
    let healBefore: HealView;
    let deliveredBefore = 0;
    try {
      healBefore = await eventually(async () => {
        const view = await get<HealView>(first.url, '/autoheal/services/flaky');
        return view.budget.used >= 1 ? view : undefined;
      }, 'a heal of the flaky container', 120_000, 200);
      await eventually(() => load.acked.length > 300 && sink.received.length >= 1, 'publishes acknowledged and a delivery made', 120_000, 20);
      // A second rule starts ten more episodes at once; the process is killed as the first of their notices reaches
      // the (slow) receiver, the rest queued or on the wire.
      const infos = await fetch(`${first.url}/alerts/rules`, { method: 'POST', headers: OPERATOR, body: JSON.stringify({ name: 'load infos', event_type: 'load.info', window_seconds: 120, threshold: 3, group_by: ['source'] }) });
      expect(infos.status).toBe(201);
      await eventually(() => sink.received.some((r) => r.rule === 'load infos'), 'the first notice of the second rule', 120_000, 10);
      const ackedBefore = load.acked.length;
      await first.crash();
      expect(load.acked.length - ackedBefore).toBeLessThan(50);
      deliveredBefore = sink.received.length;

      const second = await startServer(env);
      servers.push(second);
      load.retarget(second.url);
      const resumed = load.acked.length;
      await eventually(() => load.acked.length > resumed + 100, 'publishes acknowledged after the restart', 120_000, 50);
    } finally {
      await load.stop();
    }
    const second = servers[1]!;

    // No acknowledged event lost.
    const stored = new Set([...(await storedIds(second.url, 'load.error', OPERATOR)), ...(await storedIds(second.url, 'load.info', OPERATOR))]);
    const lost = load.acked.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);

    // Every delivery finished, every firing alert reached the receiver; a notice repeats only under its webhook-id.
    // Notices the killed process had decided but not handed over are taken over by the new one once its leader term
    // is 10 s old (the killed one lost the leadership; without a term it would wait the 60 s outbox grace), then
    // delivered.
    const drained = Date.now();
    const alerts = await eventually(async () => {
      const active = (await get<{ alerts: { episode_id: string | null; queued_notices: number }[] }>(second.url, '/alerts/active?status=firing')).alerts;
      const queue = (await get<{ queue_depth: number }>(second.url, '/alerts/deliveries/stats')).queue_depth;
      return active.length === 20 && active.every((a) => a.queued_notices === 0) && queue === 0 ? active : undefined;
    }, 'every firing alert notified and the delivery queue drained', 180_000, 250);
    const drainMs = Date.now() - drained;
    expect(drainMs, 'notices of the killed instance taken over well before the 60 s grace').toBeLessThan(45_000);
    const raised = sink.received.filter((r) => r.type === 'ops.alert.raised');
    const idsByEpisode = new Map<string, Set<string>>();
    for (const r of raised) idsByEpisode.set(r.episode, (idsByEpisode.get(r.episode) ?? new Set()).add(r.webhookId));
    for (const a of alerts) expect(idsByEpisode.get(a.episode_id!)?.size, `episode ${a.episode_id}`).toBe(1);
    const perId = new Map<string, number>();
    for (const r of sink.received) perId.set(r.webhookId, (perId.get(r.webhookId) ?? 0) + 1);
    const duplicates = [...perId.values()].filter((n) => n > 1).reduce((sum, n) => sum + n - 1, 0);
    const history = await get<{ deliveries: { status: string; webhook_id: string }[] }>(second.url, '/alerts/deliveries/history?limit=200');
    expect(history.deliveries.filter((d) => d.status !== 'delivered')).toEqual([]);
    for (const d of history.deliveries) expect(perId.has(d.webhook_id), d.webhook_id).toBe(true);

    // The heal state went on from where it was.
    const healAfter = await get<HealView>(second.url, '/autoheal/services/flaky');
    expect(healAfter.budget.used).toBeGreaterThanOrEqual(healBefore!.budget.used);
    expect(healAfter.backoff.attempt).toBeGreaterThanOrEqual(healBefore!.backoff.attempt);

    const errors = [...load.statuses].filter(([status]) => status >= 500 && status !== 503);
    expect(errors).toEqual([]);
    console.info(
      `[hardening] SIGKILL on ${backend}: ${load.acked.length} publishes acknowledged, 0 lost; ${sink.received.length} deliveries received for ` +
        `${perId.size} webhook-ids (${duplicates} duplicate${duplicates === 1 ? '' : 's'}; ${deliveredBefore} had arrived before the kill), ${alerts.length} firing episodes each notified under one webhook-id; ` +
        `${load.streamed()} SSE messages; notices taken over within ${Math.round(drainMs / 1000)} s; heal budget ${healBefore!.budget.used} → ${healAfter.budget.used}; statuses ${JSON.stringify(Object.fromEntries(load.statuses))}`,
    );
  });
});
