import { isAetherError, memoryRegistryStore } from '@aetherlink/core';
import { eventually, memoryLogger } from '@aetherlink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from './_testing/control-plane.js';
import { registerSelf } from './self-register.js';
import type { SelfRegistration, SelfRegistrationEvent } from './types.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

const service = { name: 'crm', url: 'http://127.0.0.1:9/crm', version: '1.0.0', tags: ['crm'] };
const fast = { heartbeatIntervalMs: 100, retry: { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 50 }, requestTimeoutMs: 1000 };

function start(options: Partial<Parameters<typeof registerSelf>[0]> & { controlPlaneUrl: string }): { client: SelfRegistration; events: SelfRegistrationEvent[] } {
  const events: SelfRegistrationEvent[] = [];
  const client = registerSelf({ service, auth: { roles: ['operator'] }, ...fast, onEvent: (e) => events.push(e), ...options });
  running.push(client);
  return { client, events };
}

async function controlPlane(options: Parameters<typeof startControlPlane>[0] = {}): Promise<TestControlPlane> {
  const cp = await startControlPlane(options);
  running.push({ stop: () => cp.close() });
  return cp;
}

/** A port on 127.0.0.1 where the control plane will start later: bound on 0, then released. */
async function laterPort(): Promise<number> {
  const probe = await startControlPlane();
  await probe.close();
  return probe.port;
}

describe('registerSelf', () => {
  // Waits: unreachable 3 s + registered 5 s + renewals 3 s.
  it('keeps trying while the control plane is away, registers once it starts, and renews the lease', { timeout: 15_000 }, async () => {
    const port = await laterPort();
    const { client, events } = start({ controlPlaneUrl: `http://127.0.0.1:${port}`, ttlSeconds: 30 });
    await eventually(() => client.state() === 'unreachable', 'unreachable', 3000);
    expect(events.some((e) => e.type === 'failed' && /refused/.test(e.error ?? ''))).toBe(true);
    expect(await client.waitUntilRegistered(50)).toBe(false);

    const cp = await controlPlane({ port });
    expect(await client.waitUntilRegistered(5000)).toBe(true);
    expect(client.state()).toBe('registered');
    const stored = await cp.registry.get('crm');
    expect(stored).toMatchObject({ name: 'crm', url: service.url, health_url: 'http://127.0.0.1:9/crm/ping', version: '1.0.0', tags: ['crm'], ttl_seconds: 30 });

    await eventually(() => events.filter((e) => e.type === 'renewed').length >= 2, 'renewals', 3000);
    expect(cp.requests.filter((r) => r === 'PUT /ops/services/:name/heartbeat').length).toBeGreaterThanOrEqual(2);
    expect(cp.requests.filter((r) => r === 'POST /ops/register')).toHaveLength(1);
    const renewed = await cp.registry.get('crm');
    expect(Date.parse(renewed!.last_seen)).toBeGreaterThan(Date.parse(stored!.last_seen));
  });

  // Waits: registered 5 s + unreachable 3 s + re-registration 5 s + registered 3 s + heartbeat 3 s.
  it('survives a control plane restart that lost its state, and registers again', { timeout: 25_000 }, async () => {
    const first = await startControlPlane();
    const { client, events } = start({ controlPlaneUrl: first.url });
    expect(await client.waitUntilRegistered(5000)).toBe(true);

    await first.close();
    await eventually(() => client.state() === 'unreachable', 'unreachable after stop', 3000);
    expect(events.at(-1)!.type).toBe('failed');

    // The same port, a fresh in-memory registry: the heartbeat gets a 404 and the client joins again.
    const second = await controlPlane({ port: first.port });
    await eventually(async () => (await second.registry.get('crm')) !== null, 're-registration', 5000);
    await eventually(() => client.state() === 'registered', 'registered again', 3000);
    expect(second.requests).toContain('POST /ops/register');
    await eventually(() => second.requests.includes('PUT /ops/services/:name/heartbeat'), 'heartbeat after restart', 3000);
  });

  // Waits: registered 5 s + unreachable 3 s + registered again 5 s.
  it('resumes heartbeats against a restarted control plane that kept its state', { timeout: 20_000 }, async () => {
    const store = memoryRegistryStore();
    const first = await startControlPlane({ store });
    const { client } = start({ controlPlaneUrl: first.url });
    expect(await client.waitUntilRegistered(5000)).toBe(true);
    await first.close();
    await eventually(() => client.state() === 'unreachable', 'unreachable', 3000);
    const second = await controlPlane({ port: first.port, store });
    await eventually(() => client.state() === 'registered', 'registered again', 5000);
    expect(await second.registry.get('crm')).not.toBeNull();
  });

  it('deregisters on stop and then goes quiet', { timeout: 15_000 }, async () => {
    const cp = await controlPlane();
    const { client, events } = start({ controlPlaneUrl: cp.url });
    expect(await client.waitUntilRegistered(5000)).toBe(true);
    await client.stop();
    expect(client.state()).toBe('stopped');
    expect(await cp.registry.get('crm')).toBeNull();
    expect(events.at(-1)).toEqual({ type: 'deregistered' });
    const count = cp.requests.length;
    // A witness on the same heartbeat interval, against a control plane of its own: once it has renewed three
    // times, the stopped client has had three chances to send something, and sent nothing.
    const witnessCp = await controlPlane();
    const witness = start({ controlPlaneUrl: witnessCp.url, service: { ...service, name: 'witness' } });
    await eventually(() => witness.events.filter((e) => e.type === 'renewed').length >= 3, 'three renewals of the witness', 5000);
    expect(cp.requests.length).toBe(count);
    await client.stop();
    expect(await client.waitUntilRegistered(10)).toBe(false);
  });

  it('stops (and deregisters) when its signal aborts', { timeout: 15_000 }, async () => {
    const cp = await controlPlane();
    const controller = new AbortController();
    const { client, events } = start({ controlPlaneUrl: cp.url, signal: controller.signal });
    expect(await client.waitUntilRegistered(5000)).toBe(true);
    controller.abort();
    await eventually(() => events.some((e) => e.type === 'deregistered'), 'deregistered', 3000);
    expect(client.state()).toBe('stopped');
    expect(await cp.registry.get('crm')).toBeNull();
  });

  it('reports a refusal as permanent without throwing, and keeps trying at its interval', { timeout: 15_000 }, async () => {
    const cp = await controlPlane();
    const { client, events } = start({ controlPlaneUrl: cp.url, auth: { roles: ['viewer'] } });
    await eventually(() => client.state() === 'rejected', 'rejected', 3000);
    const refusal = events.find((e) => e.type === 'failed');
    expect(refusal).toMatchObject({ permanent: true, error: expect.stringContaining('answered 403') });
    // A 403 is not retried by p-retry, but the next tick tries again (an operator may fix the roles).
    await eventually(() => cp.requests.filter((r) => r === 'POST /ops/register').length >= 2, 'a second try', 3000);
    expect(await cp.registry.get('crm')).toBeNull();
  });

  it('sends a bearer token from a function before every request', { timeout: 15_000 }, async () => {
    const cp = await controlPlane();
    let calls = 0;
    const { client } = start({ controlPlaneUrl: cp.url, auth: { bearer: () => `token-${++calls}`, roles: ['operator'] } });
    expect(await client.waitUntilRegistered(5000)).toBe(true);
    await eventually(() => calls >= 2, 'token refresh', 3000);
  });

  it('stops without waiting out a retry backoff or throwing when the control plane is away', { timeout: 10_000 }, async () => {
    const port = await laterPort();
    // After the first refusal p-retry waits ten minutes: stop() has to cut that wait short, or this test times out.
    const retry = { retries: 5, minTimeoutMs: 600_000, maxTimeoutMs: 600_000 };
    const { client, events } = start({ controlPlaneUrl: `http://127.0.0.1:${port}`, deregisterTimeoutMs: 500, retry });
    await eventually(() => events.length > 0, 'a first attempt', 3000);
    await client.stop();
    expect(client.state()).toBe('stopped');
    // One refused registration (the backoff never ran out), then the deregistration it tried anyway, refused too.
    expect(events).toEqual([
      { type: 'failed', error: expect.stringMatching(/refused/) },
      { type: 'failed', error: expect.stringMatching(/refused/) },
    ]);
  });

  it('logs the first failure of a streak and the registration that ends it through the injected logger', { timeout: 15_000 }, async () => {
    const port = await laterPort();
    const { logger, lines } = memoryLogger();
    const client = registerSelf({ controlPlaneUrl: `http://127.0.0.1:${port}`, service, auth: { roles: ['operator'] }, ...fast, logger });
    running.push(client);
    await eventually(() => client.state() === 'unreachable', 'unreachable', 3000);
    await controlPlane({ port });
    expect(await client.waitUntilRegistered(5000)).toBe(true);
    // p-retry tried several times while the control plane was away: one warning, not one per attempt.
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'self-registration failed; retrying in the background'],
      ['info', 'registered with the control plane'],
    ]);
    expect(lines[0]!.fields).toMatchObject({ service: 'crm', controlPlane: `http://127.0.0.1:${port}`, error: expect.stringMatching(/refused/) });
  });

  it('throws at once on a bad service description or control plane URL', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(isAetherError(error) && error.code).toBe('validation_failed');
        return (error as { errors: { field: string }[] }).errors.map((e) => e.field);
      }
      throw new Error('expected a throw');
    };
    expect(bad(() => registerSelf({ controlPlaneUrl: 'http://x', service: { name: 'bad name', url: 'nope' }, auth: {} }))).toEqual(['service.name', 'service.url']);
    expect(bad(() => registerSelf({ controlPlaneUrl: 'ftp://x', service, auth: {} }))).toEqual(['controlPlaneUrl']);
    expect(bad(() => registerSelf({ controlPlaneUrl: 'http://x', service, auth: {}, ttlSeconds: 1 }))).toEqual(['ttlSeconds']);
  });
});
