import { fileURLToPath } from 'node:url';
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../test/postgres-server.js';
import { startServer, type RunningServer } from './helpers.js';

// The reference server as its own process, supervising two real HTTP services as child processes
// (AUTOHEAL_RUNTIME=process): break one three ways and watch it be restarted and verified each time.
vi.setConfig({ testTimeout: 120_000 });

const SERVICE = fileURLToPath(new URL('./fixtures/breakable-service.mjs', import.meta.url));

describe('auto-heal end to end with real processes', () => {
  let server: RunningServer;
  const ports: Record<string, number> = {};
  beforeAll(async () => {
    ports.orders = await freePort();
    ports.billing = await freePort();
    const processes = Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, { command: process.execPath, args: [SERVICE], env: { PORT: String(port) } }]));
    server = await startServer({
      SELF_REGISTER: 'false',
      AUTOHEAL_RUNTIME: 'process',
      AUTOHEAL_PROCESSES: JSON.stringify(processes),
      AUTOHEAL_SERVICES: JSON.stringify(
        Object.entries(ports).map(([name, port]) => ({ name, health_url: `http://127.0.0.1:${port}/ping`, readiness_url: `http://127.0.0.1:${port}/ready`, start_grace_seconds: 20 })),
      ),
      AUTOHEAL_INTERVAL_SECONDS: '1',
      AUTOHEAL_CHECK_TIMEOUT_MS: '500',
    });
    // Both children started and judged healthy (before the first round the list is empty, and [].every() is true).
    await eventually(async () => {
      const { services } = await get('/autoheal/status');
      return (services.length === 2 && services.every((s: { state: string }) => s.state === 'healthy')) || null;
    }, 'both services healthy', 60_000, 200);
  });
  afterAll(async () => {
    // The supervisor stops its children on SIGTERM.
    expect(await server?.stop()).toBe(0);
    for (const port of Object.values(ports)) await expect(fetch(`http://127.0.0.1:${port}/ping`)).rejects.toThrow();
  });

  const get = async (path: string) => (await (await fetch(`${server.url}${path}`, { headers: { 'x-user-roles': 'viewer' } })).json()) as Record<string, any>;
  const pidOf = async (name: string) => Number(await (await fetch(`http://127.0.0.1:${ports[name]}/pid`)).text());
  const breakIt = (name: string, how: string) => fetch(`http://127.0.0.1:${ports[name]}/break/${how}`, { method: 'POST' });
  const healed = (n: number) => eventually(async () => (await get('/autoheal/history')).total_in_history >= n, `${n} heals recorded`, 60_000, 200);

  it('restarts a service that answers 500, then hangs, then exits, verifying each heal; history, stats, events and its why agree', async () => {
    const pids = [await pidOf('orders')];

    for (const [i, how] of ['500', 'hang', 'exit'].entries()) {
      await breakIt('orders', how);
      await healed(i + 1);
      pids.push(await eventually(async () => (await pidOf('orders')) || null, 'orders answers again'));
    }
    expect(new Set(pids).size).toBe(4);

    const { history, total_in_history } = await get('/autoheal/history');
    expect(total_in_history).toBe(3);
    expect(history.map((r: Record<string, unknown>) => [r.service, r.outcome, r.attempt, (r.probe as { error: string }).error])).toEqual([
      ['orders', 'succeeded', 3, 'connection refused'],
      ['orders', 'succeeded', 2, 'no answer within 500 ms'],
      ['orders', 'succeeded', 1, 'HTTP 500, expected 200–299'],
    ]);
    // The backoff before each: none, then about 10 s and 20 s (± 10 % jitter).
    expect(history[2].delay_ms).toBe(0);
    expect(history[1].delay_ms).toBeGreaterThanOrEqual(9000);
    expect(history[0].delay_ms).toBeGreaterThanOrEqual(18_000);

    expect(await get('/autoheal/stats')).toMatchObject({ total_attempts: 3, successful: 3, failed: 0, success_rate: 1, services: { orders: 3 }, most_healed: 'orders', time_to_heal_ms: { samples: 3 } });
    const events = (await get('/events/recent?event_type=autoheal.*&limit=20')).events as { type: string; data: { heal_id: string } }[];
    expect(events.map((e) => e.type)).toEqual(Array.from({ length: 3 }, () => ['autoheal.succeeded', 'autoheal.attempted']).flat());
    expect(events.filter((e) => e.type === 'autoheal.succeeded').map((e) => e.data.heal_id)).toEqual(history.map((r: { id: string }) => r.id));

    const why = await get('/autoheal/services/orders');
    expect(why).toMatchObject({
      name: 'orders', source: 'configured', runtime_id: 'orders', status: 'ok',
      backoff: { attempt: 3 }, budget: { used: 3, limit: 3 }, last_heal: { id: history[0].id, outcome: 'succeeded' },
      decision: { reason: expect.stringMatching(/^(healed|healthy)$/) },
    });
    // billing was never touched.
    expect((await get('/autoheal/services/billing')).backoff.attempt).toBe(0);
  });
  it('leaves alone a service that says it is draining, and one whose readiness alone fails, and says why', async () => {
    const pid = await pidOf('billing');
    const why = () => get('/autoheal/services/billing');
    // More rounds than the failure threshold (3) after the positive signal, so a restart would have come due.
    const rounds = async (n: number) => {
      const at = Date.parse((await get('/autoheal/status')).last_check);
      await eventually(async () => Date.parse((await get('/autoheal/status')).last_check) >= at + n * 1000, `${n} more rounds`, 30_000, 200);
    };
    await breakIt('billing', 'drain');
    await eventually(async () => (await why()).decision.reason === 'draining', 'billing seen draining', 30_000, 200);
    await rounds(4);
    expect(await why()).toMatchObject({ state: 'draining', status: 'draining', consecutive_failures: 0, decision: { action: 'none', reason: 'draining' } });

    await breakIt('billing', 'unready');
    await eventually(async () => (await why()).decision.reason === 'readiness_only', 'billing seen not ready', 30_000, 200);
    await rounds(4);
    expect(await why()).toMatchObject({ status: 'degraded', consecutive_failures: 0, decision: { reason: 'readiness_only' } });
    expect((await why()).checks).toEqual([
      expect.objectContaining({ name: 'http', role: 'liveness', verdict: 'pass' }),
      expect.objectContaining({ name: 'ready', role: 'readiness', verdict: 'fail', status_code: 503 }),
    ]);

    await breakIt('billing', 'ok');
    await eventually(async () => (await why()).decision.reason === 'healthy', 'billing healthy again', 30_000, 200);
    expect(await pidOf('billing')).toBe(pid);
    expect((await get('/autoheal/history?service=billing')).history).toEqual([]);
    expect(((await get('/events/recent?event_type=autoheal.*&limit=50')).events as { data: { service: string } }[]).filter((e) => e.data.service === 'billing')).toEqual([]);
  });
});
