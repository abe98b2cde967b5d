// Issue #17, item 3: outbound calls made on someone's say-so (registry probes, auto-heal checks) never reach a
// private, loopback, link-local or metadata address unless allowed: not directly, not through a redirect, not through
// a DNS name, not through a name that resolves elsewhere on the second lookup. A "trap" server on 127.0.0.2 stands
// for whatever lives there; any request it receives fails the test. Names resolve through an injected resolver.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInProcess, type InProcessServer } from './harness.js';

vi.setConfig({ testTimeout: 60_000 });

const ADMIN = { 'x-user-roles': 'admin', 'content-type': 'application/json' };

async function listen(host: string, handle: (path: string) => { status: number; location?: string }): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const { status, location } = handle(req.url ?? '');
    res.writeHead(status, { connection: 'close', ...(location ? { location } : {}) }).end('{"status":"ok"}');
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('outbound calls under the egress policy, through the reference server', () => {
  let trap: Awaited<ReturnType<typeof listen>>;
  let redirector: Awaited<ReturnType<typeof listen>>;
  let server: InProcessServer;
  const lookups: Record<string, number> = {};

  beforeAll(async () => {
    trap = await listen('127.0.0.2', () => ({ status: 200 }));
    redirector = await listen('127.0.0.1', (path) => {
      if (path.startsWith('/to-trap')) return { status: 302, location: `http://127.0.0.2:${trap.port}/followed` };
      if (path.startsWith('/to-name')) return { status: 307, location: `http://private.test:${trap.port}/followed` };
      if (path.startsWith('/to-metadata')) return { status: 301, location: 'http://169.254.169.254/latest/meta-data/' };
      return { status: 200 };
    });
    // A name's answers in turn (the last one repeats): rebinding names answer an allowed address first.
    const dns: Record<string, string[][]> = {
      'private.test': [['10.0.0.5']],
      'metadata.test': [['169.254.169.254']],
      'mixed.test': [['8.8.8.8', '127.0.0.2']],
      'v6-loopback.test': [['::1']],
      'rebind.test': [['127.0.0.1'], ['127.0.0.2']],
      'heal.test': [['127.0.0.1'], ['127.0.0.2']],
      'hook-rebind.test': [['127.0.0.1'], ['127.0.0.2']],
    };
    const egressResolve = async (host: string) => {
      const n = (lookups[host] = (lookups[host] ?? 0) + 1);
      const answers = dns[host];
      if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return answers[Math.min(n, answers.length) - 1]!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    server = await startInProcess(
      {
        REGISTRY_PROBE_ALLOW_PRIVATE: 'false',
        REGISTRY_PROBE_ALLOW: '127.0.0.1',
        REGISTRY_PROBE_INTERVAL_SECONDS: '1',
        AUTOHEAL_SERVICES: 'heal-rebind',
        AUTOHEAL_HEALTH_ENDPOINTS: `heal-rebind=http://heal.test:${trap.port}/health`,
        AUTOHEAL_INTERVAL_SECONDS: '1',
        AUTOHEAL_PULL_FROM_REGISTRY: 'false',
        ALERT_WEBHOOK_ALLOW: '127.0.0.1',
        DELIVERY_POLL_MS: '100',
      },
      { loops: true, overrides: { egressResolve } },
    );
  });
  afterAll(async () => {
    await server?.close();
    for (const s of [trap, redirector]) await new Promise<void>((r) => (s ? s.server.close(() => r()) : r()));
  });

  const register = async (name: string, health_url: string) => {
    const res = await fetch(`${server.url}/ops/register`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ name, url: 'http://127.0.0.1:9', health_url }) });
    return { status: res.status, body: (await res.json()) as { errors?: { field: string; message: string }[] } };
  };
  const health = async () =>
    ((await (await fetch(`${server.url}/ops/health?fresh=true`, { headers: ADMIN })).json()) as { services: { name: string; status: string; error: string | null }[] }).services;

  it('refuses at registration a health URL that is or resolves to a refused address (400 naming health_url), storing none', async () => {
    const refused = [
      `http://127.0.0.2:${trap.port}/`,
      `http://0x7f000002:${trap.port}/`,
      `http://2130706434:${trap.port}/`,
      `http://127.2:${trap.port}/`,
      `http://[::1]:${trap.port}/`,
      `http://[::ffff:127.0.0.2]:${trap.port}/`,
      'http://0.0.0.0/',
      'http://10.0.0.5/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://[fd00::1]/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://private.test/',
      'http://metadata.test/',
      'http://mixed.test/',
      'http://v6-loopback.test/',
      'file:///etc/passwd',
      'gopher://127.0.0.1:25/',
    ];
    const wrong: string[] = [];
    for (const [i, url] of refused.entries()) {
      const res = await register(`refused-${i}`, url);
      if (res.status !== 400 || res.body.errors?.[0]?.field !== 'health_url') wrong.push(`${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
    }
    expect(wrong).toEqual([]);
    const listed = (await (await fetch(`${server.url}/ops/services`, { headers: ADMIN })).json()) as { services: { name: string }[] };
    expect(listed.services.filter((s) => s.name.startsWith('refused-'))).toEqual([]);
    console.info(`[hardening] egress: ${refused.length} refused health URLs (literals, encodings, DNS names, schemes)`);
  });

  it('never follows a redirect, whether to an address, to a name or to the metadata service', async () => {
    for (const path of ['to-trap', 'to-name', 'to-metadata']) expect((await register(`redirect-${path}`, `http://127.0.0.1:${redirector.port}/${path}`)).status).toBe(200);
    await eventually(async () => {
      const services = await health();
      return ['to-trap', 'to-name', 'to-metadata'].every((p) => services.find((s) => s.name === `redirect-${p}`)?.status === 'down');
    }, 'the redirecting services are down');
    expect(redirector.hits.filter((h) => h.startsWith('/to-')).length).toBeGreaterThanOrEqual(3);
    expect(trap.hits).toEqual([]);
    expect(lookups['private.test'] ?? 0).toBeLessThanOrEqual(1);
  });

  it('refuses at connect time a name that resolved to an allowed address when registered and elsewhere later', async () => {
    expect((await register('rebind', `http://rebind.test:${trap.port}/health`)).status).toBe(200);
    const down = await eventually(async () => (await health()).find((s) => s.name === 'rebind' && s.status === 'down'), 'the rebinding service is down');
    expect(down.error).toMatch(/refused to connect: rebind\.test resolves to 127\.0\.0\.2, which is a loopback address/);
    expect(lookups['rebind.test']).toBeGreaterThanOrEqual(2);
    expect(trap.hits).toEqual([]);
  });

  it('refuses auto-heal checks the same way', async () => {
    const state = await eventually(async () => {
      const s = (await (await fetch(`${server.url}/autoheal/services/heal-rebind`, { headers: ADMIN })).json()) as { checks?: { error: string | null }[] };
      return s.checks?.[0]?.error?.includes('127.0.0.2') ? s : undefined;
    }, 'an auto-heal check of heal-rebind refused');
    expect(state.checks![0]!.error).toMatch(/refused to connect: heal\.test resolves to 127\.0\.0\.2/);
    expect(trap.hits).toEqual([]);
  });

  const endpoint = async (url: string) => {
    const res = await fetch(`${server.url}/alerts/endpoints`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ url, channel: 'webhook' }) });
    return { status: res.status, body: (await res.json()) as { endpoint?: { id: string }; errors?: { field: string }[] } };
  };
  const testDelivery = async (id: string) => {
    const res = await fetch(`${server.url}/alerts/endpoints/${id}/test`, { method: 'POST', headers: { 'x-user-roles': 'admin' } });
    expect(res.status).toBe(202);
    const { delivery_id } = (await res.json()) as { delivery_id: string };
    // The first attempt has been made once the delivery has an attempt on record.
    return eventually(async () => {
      const d = (await (await fetch(`${server.url}/alerts/deliveries/${delivery_id}`, { headers: ADMIN })).json()) as { attempt_log?: unknown[] };
      return d.attempt_log?.length ? JSON.stringify(d) : undefined;
    }, `an attempt of delivery ${delivery_id}`);
  };

  it('refuses webhook endpoints that are or resolve to refused addresses (400 naming url)', async () => {
    const wrong: string[] = [];
    for (const url of [`http://127.0.0.2:${trap.port}/hook`, 'http://10.0.0.5/hook', 'http://169.254.169.254/', 'http://metadata.google.internal/', 'http://private.test/hook', 'http://[::1]/hook', 'ftp://127.0.0.1/hook']) {
      const res = await endpoint(url);
      if (res.status !== 400 || !res.body.errors?.some((e) => e.field === 'url')) wrong.push(`${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('delivers a webhook neither through a redirect nor to a name that resolves elsewhere at connect time', async () => {
    const redirecting = await endpoint(`http://127.0.0.1:${redirector.port}/to-trap/hook`);
    expect(redirecting.status).toBe(201);
    const redirected = await testDelivery(redirecting.body.endpoint!.id);
    expect(redirected).toMatch(/302/);
    const rebinding = await endpoint(`http://hook-rebind.test:${trap.port}/hook`);
    expect(rebinding.status).toBe(201);
    const rebound = await testDelivery(rebinding.body.endpoint!.id);
    expect(rebound).toMatch(/refused to connect: hook-rebind\.test resolves to 127\.0\.0\.2/);
    expect(redirector.hits.some((h) => h.startsWith('/to-trap/hook'))).toBe(true);
    expect(trap.hits).toEqual([]);
  });
});
