import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, recordingRuntime, type RecordingRuntime } from '@aetherlink/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

// A storm through the reference server: many services failing at once. Their health endpoints are real (one HTTP
// server, a path each); restarts go to the shared recording runtime, and a restart brings its service back.
vi.setConfig({ testTimeout: 90_000 });

const names = (n: number) => Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

describe('auto-heal in a storm', () => {
  let endpoints: Server;
  let base: string;
  const failing = new Set<string>();
  let cc: CommandCenter | undefined;
  beforeAll(async () => {
    endpoints = createServer((req, res) => {
      const name = /^\/(svc-\d+)\/ping$/.exec(req.url ?? '')?.[1] ?? '';
      res.writeHead(failing.has(name) ? 500 : 200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => endpoints.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(endpoints.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await cc?.close();
    cc = undefined;
    failing.clear();
  });
  afterAll(() => new Promise((r) => endpoints.close(r)));

  async function start(count: number): Promise<{ url: string; runtime: RecordingRuntime }> {
    const runtime = recordingRuntime({ workloads: Object.fromEntries(names(count).map((n) => [n, {}])) });
    runtime.watch!((e) => e.action === 'start' && failing.delete(e.id));
    cc = await createCommandCenter(
      loadConfig({
        LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:', SELF_REGISTER: 'false', AUTOHEAL_INTERVAL_SECONDS: '1',
        AUTOHEAL_SERVICES: JSON.stringify(names(count).map((name) => ({ name, health_url: `${base}/${name}/ping`, start_grace_seconds: 0 }))),
      }),
      { runtime, env: {} },
    );
    const url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.start();
    return { url, runtime };
  }
  const getter = (url: string) => async (path: string) => (await (await fetch(`${url}${path}`, { headers: { 'x-user-roles': 'operator' } })).json()) as Record<string, any>;

  it('ten of twelve failing at once: the fleet guard holds every restart, and one event says so', async () => {
    const { url, runtime } = await start(12);
    const get = getter(url);
    await eventually(async () => (await get('/autoheal/status')).last_check, 'a first round');
    for (const n of names(10)) failing.add(n);
    await eventually(async () => (await get('/autoheal/status')).fleet_guard, 'the fleet guard trips', 20_000);
    // Held for several more rounds: nothing restarts, and the guard speaks once.
    const at = (await get('/autoheal/status')).last_check as string;
    await eventually(async () => Date.parse((await get('/autoheal/status')).last_check) >= Date.parse(at) + 4000, 'four more rounds', 20_000);
    expect(runtime.restarts()).toEqual([]);
    const events = (await get('/events/recent?event_type=autoheal.skipped')).events as { data: Record<string, unknown> }[];
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ service: '*', reason: 'fleet_guard', failing: 10, fleet: 12 })]);
    expect((await get('/autoheal/services/svc-00')).decision).toMatchObject({ reason: 'fleet_guard' });
  });

  it('ten of eighty failing at once: the default caps hold (3 heals in flight), and the one in maintenance is never restarted', async () => {
    const { url, runtime } = await start(80);
    const get = getter(url);
    await eventually(async () => (await get('/autoheal/status')).last_check, 'a first round');
    const window = await fetch(`${url}/autoheal/maintenance`, {
      method: 'POST',
      headers: { 'x-user-roles': 'operator', 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'svc-00', duration_seconds: 600, reason: 'kernel upgrade' }),
    });
    expect(window.status).toBe(201);
    for (const n of names(10)) failing.add(n);
    await eventually(async () => (await get('/autoheal/history?limit=50')).history.filter((r: { outcome: string }) => r.outcome === 'succeeded').length === 9, 'nine heals', 60_000, 200);
    expect(runtime.restarts().sort()).toEqual(names(10).slice(1));
    const { history } = await get('/autoheal/history?limit=50');
    // Heals in flight at once, from each attempt's start to its verified end.
    const edges = history
      .filter((r: { outcome: string }) => r.outcome === 'succeeded')
      .flatMap((r: { started_at: string; duration_ms: number }) => [[Date.parse(r.started_at), 1], [Date.parse(r.started_at) + r.duration_ms, -1]] as [number, number][])
      .sort((a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1]);
    let inFlight = 0;
    let peak = 0;
    for (const [, d] of edges) peak = Math.max(peak, (inFlight += d));
    expect(peak).toBe(3);
    expect((await get('/autoheal/services/svc-00')).decision).toMatchObject({ reason: 'maintenance' });
    expect(history).toContainEqual(expect.objectContaining({ service: 'svc-00', outcome: 'skipped', reason: 'maintenance' }));
  });
});
