import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, recordingRuntime } from '@aetherlink/core/testing';
import { createRegistry, type Registry } from '@aetherlink/registry';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';

// Registered services answer on a real HTTP server: /<name>/ping, 200 unless the name is in `failing`.
let server: Server;
let base: string;
const failing = new Set<string>();
beforeAll(async () => {
  server = createServer((req, res) => res.writeHead(failing.has(req.url?.split('/')[1] ?? '') ? 500 : 200).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let h: Harness;
afterEach(async () => {
  failing.clear();
  await h?.close();
});

const register = (registry: Registry, name: string) => registry.register({ name, url: `${base}/${name}`, health_url: `${base}/${name}/ping` });
const sources = async () => (await h.healer.status()).services.map((s) => [s.name, s.source]);

describe('targets from configuration and the registry', () => {
  it('merges them every round, says where each came from, and keeps a service’s state while it is away', async () => {
    const registry = createRegistry();
    await register(registry, 'api');
    await register(registry, 'billing');
    const runtime = recordingRuntime({ workloads: { api: {}, db: {}, billing: {}, orders: {} } });
    runtime.watch!((e) => e.action === 'start' && failing.delete(e.id));
    h = harness({ services: ['api', 'db'], registry, runtime, policy: { failureThreshold: 1 } });
    await h.round();
    expect(await sources()).toEqual([['api', 'both'], ['billing', 'registry'], ['db', 'configured']]);
    // The registry's own service heals through its health URL.
    failing.add('billing');
    await h.round();
    // Its verification probes the real endpoint between steps of the manual clock.
    await eventually(async () => {
      await h.advance(100);
      return (await h.history.count()) > 0 || null;
    }, 'the heal of billing verified');
    expect(h.runtime.restarts()).toEqual(['billing']);
    expect(await h.history.list({ limit: 1 })).toEqual([expect.objectContaining({ service: 'billing', outcome: 'succeeded' })]);

    await registry.remove('billing');
    await register(registry, 'orders');
    await h.round();
    expect(await sources()).toEqual([['api', 'both'], ['db', 'configured'], ['orders', 'registry']]);
    expect(await h.healer.service('billing')).toMatchObject({ active: false, backoff: { attempt: 1 } });

    await register(registry, 'billing');
    await registry.remove('api');
    await h.round();
    expect(await sources()).toEqual([['api', 'configured'], ['billing', 'registry'], ['db', 'configured'], ['orders', 'registry']]);
    // Back with its budget and backoff as they were.
    expect(await h.healer.service('billing')).toMatchObject({ active: true, backoff: { attempt: 1 }, budget: { used: 1 } });
  });

  it('keeps the registry’s last answer when it cannot be read, and says so in the log', async () => {
    const registry = createRegistry();
    await register(registry, 'billing');
    let down = false;
    h = harness({ services: ['api'], registry: { list: () => (down ? Promise.reject(new Error('connection reset')) : registry.list()) } });
    await h.round();
    down = true;
    await h.round();
    expect(await sources()).toEqual([['api', 'configured'], ['billing', 'registry']]);
    expect(h.logs.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('could not read the registry') }));
  });
});
