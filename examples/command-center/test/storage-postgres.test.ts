import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postgresStores } from '@aetherlink/adapters/postgres';
import { openStream } from '@aetherlink/core/testing';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { startPostgres } from '../../../test/postgres-server.js';
import { publishBurstThenCrash, runUntilExit, startServer, type RunningServer } from './helpers.js';

// Each test starts the reference server as its own process, some twice, and waits on PostgreSQL going away and
// coming back: up to 60 s to start (helpers.ts) and 5 s to stop on a busy machine, each time.
vi.setConfig({ testTimeout: 180_000 });

const AGENT = { 'x-user-roles': 'agent', 'content-type': 'application/json' };
const OPERATOR = { 'x-user-roles': 'operator' };

function databaseUrl(): string {
  const pg = inject('postgres');
  if ('error' in pg) throw new Error(`no PostgreSQL for the tests: ${pg.error}`);
  return pg.connectionString;
}
const schema = (label: string) => `cc_${label}_${randomBytes(4).toString('hex')}`;

const running: RunningServer[] = [];
async function start(env: Record<string, string>): Promise<RunningServer> {
  // The queued webhooks below go to 127.0.0.1, which webhook egress refuses unless private addresses are allowed.
  const s = await startServer({ DELIVERY_POLL_MS: '100', ALERT_WEBHOOK_ALLOW_PRIVATE: 'true', ...env });
  running.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

const instanceOf = async (s: RunningServer) =>
  (await (await fetch(`${s.url}/ops/instance`, { headers: OPERATOR })).json()) as { instance: string; store: string; loops: { name: string; active: boolean; last_run: string | null }[] };
/** When this server's delivery worker last finished a pass (epoch ms), or 0. */
const lastDeliveryPass = async (s: RunningServer) => Date.parse((await instanceOf(s)).loops.find((l) => l.name === 'deliveries')!.last_run ?? '') || 0;
const leads = async (s: RunningServer) => (await instanceOf(s)).loops.find((l) => l.name === 'lease-expiry')!.active;

describe('two reference servers on one PostgreSQL', () => {
  it('shares events live, delivers each queued webhook once, and hands the loops over when the leader dies', async () => {
    const env = { DATABASE_URL: databaseUrl(), DATABASE_SCHEMA: schema('pair') };
    const a = await start(env);
    const b = await start(env);
    expect((await instanceOf(a)).store).toMatch(/^postgres 127\.0\.0\.1:\d+\/postgres schema cc_pair_/);

    // An event published to A reaches B's live stream.
    const stream = await openStream(`${b.url}/events/stream?event_type=shared.*`, OPERATOR);
    const published = await fetch(`${a.url}/events/publish`, { method: 'POST', headers: AGENT, body: JSON.stringify({ type: 'shared.hello', source: 'a', data: { from: 'A' } }) });
    const { event_id } = (await published.json()) as { event_id: string };
    const got = await stream.next(10_000);
    stream.close();
    expect(JSON.parse(got.data)).toMatchObject({ id: event_id, type: 'shared.hello', data: { from: 'A' } });

    // Queued deliveries: both instances work the queue, each delivery arrives exactly once.
    const hits = new Map<string, number>();
    const receiver = createServer((req, res) => {
      const id = String(req.headers['webhook-id']);
      hits.set(id, (hits.get(id) ?? 0) + 1);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const queue = postgresStores({ connectionString: env.DATABASE_URL, schema: env.DATABASE_SCHEMA });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await queue.deliveries.enqueue({ endpoint, payload: { i }, max_attempts: 3 }, Date.now())).webhook_id);
      await expect.poll(() => hits.size, { timeout: 20_000, interval: 100 }).toBe(40);
      // The queue is drained once every delivery is marked delivered. A duplicate could still be on its way from
      // a pass that was running at that moment, so wait until each worker has finished a pass after it.
      await expect.poll(async () => (await queue.deliveries.stats(Date.now())).by_status.delivered, { interval: 100 }).toBe(40);
      const drainedAt = Date.now();
      await expect.poll(async () => Math.min(await lastDeliveryPass(a), await lastDeliveryPass(b)), { interval: 100 }).toBeGreaterThan(drainedAt);
      expect([...hits.entries()].filter(([, n]) => n !== 1), 'deliveries that arrived more than once').toEqual([]);
      expect([...hits.keys()].sort()).toEqual(ids.sort());
    } finally {
      await queue.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    }

    // Exactly one leads the once-per-fleet loops; kill it and the other takes them within seconds.
    await expect.poll(async () => [await leads(a), await leads(b)].filter(Boolean).length, { timeout: 10_000 }).toBe(1);
    const [leader, follower] = (await leads(a)) ? [a, b] : [b, a];
    await leader.crash();
    await expect.poll(() => leads(follower), { timeout: 15_000, interval: 250 }).toBe(true);
    await expect
      .poll(async () => (await instanceOf(follower)).loops.filter((l) => l.active).map((l) => l.name).sort(), { timeout: 15_000, interval: 250 })
      .toEqual(['alert-evaluator', 'autoheal', 'deliveries', 'lease-expiry', 'registry-leases', 'registry-probe', 'retention']);
  });

  it('loses no acknowledged event when killed with SIGKILL in the middle of a burst', async () => {
    const env = { DATABASE_URL: databaseUrl(), DATABASE_SCHEMA: schema('crash') };
    const acked = await publishBurstThenCrash(await start(env));
    const store = postgresStores({ connectionString: env.DATABASE_URL, schema: env.DATABASE_SCHEMA });
    try {
      const stored = new Set((await store.events.query({ source: 'burst', limit: 1_000_000 })).map((e) => e.id));
      const lost = acked.filter((id) => !stored.has(id));
      expect(lost, `${lost.length} of ${acked.length} acknowledged events are missing`).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('the reference server and an unreliable PostgreSQL', () => {
  it('refuses to start when DATABASE_URL is unreachable, naming where and hiding the password', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { code, output } = await runUntilExit({ DATABASE_URL: `postgres://app:s3cret-pw@127.0.0.1:${port}/aether` });
    expect(code).toBe(1);
    expect(output).toContain(`127.0.0.1:${port}`);
    expect(output).not.toContain('s3cret-pw');
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('answers 503 problem+json while the database is away and recovers when it returns', async () => {
    const pg = await startPostgres({ label: 'outage' });
    try {
      const server = await start({ DATABASE_URL: pg.connectionString });
      const publish = () => fetch(`${server.url}/events/publish`, { method: 'POST', headers: AGENT, body: JSON.stringify({ type: 'outage.test', source: 'o' }) });
      expect((await publish()).status).toBe(200);
      await pg.stop();
      const down = await publish();
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await down.json()).toMatchObject({ code: 'unavailable', status: 503 });
      expect((await fetch(`${server.url}/events/recent`, { headers: OPERATOR })).status).toBe(503);
      expect(server.proc.exitCode).toBeNull();
      await pg.start();
      await expect.poll(async () => (await publish()).status, { timeout: 20_000, interval: 250 }).toBe(200);
      expect((await fetch(`${server.url}/ops/ping`)).status).toBe(200);
    } finally {
      await pg.destroy();
    }
  });
});
