import { createEgressPolicy, createEventBus, type EventBus, type Logger, type ResolvedAddress } from '@aetherlink/core';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { answer, startTestServer, type TestServer } from '@aetherlink/core/testing';
import { createHealthChecker } from './checker.js';
import { createRegistry } from './registry.js';
import { registryRoutes } from './routes.js';
import type { HealthChecker, Registry } from './types.js';

const OPERATOR = { 'x-user-roles': 'operator' };
const VIEWER = { 'x-user-roles': 'viewer' };

/** A resolver from a table; a list of answers is served one per lookup (the last one repeats). */
function fakeDns(table: Record<string, string[][]>) {
  const served = new Map<string, number>();
  return async (host: string): Promise<ResolvedAddress[]> => {
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const n = served.get(host) ?? 0;
    served.set(host, n + 1);
    return answers[Math.min(n, answers.length - 1)]!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

/** Every line any logger was handed, as text. */
function captureLogger(lines: string[]): Logger {
  const log = (level: string) => (...args: unknown[]) => void lines.push(JSON.stringify({ level, args }, (_k, v: unknown) => (v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v)));
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

interface Plane {
  base: string;
  app: FastifyInstance;
  registry: Registry;
  checker: HealthChecker;
  bus: EventBus;
  logs: string[];
}

const cleanups: (() => Promise<void>)[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function controlPlane(checkerOptions: Partial<Parameters<typeof createHealthChecker>[0]> = {}): Promise<Plane> {
  const logs: string[] = [];
  const bus = createEventBus({ source: 'cc' });
  const registry = createRegistry({ bus });
  const checker = createHealthChecker({ registry, timeoutMs: 2000, logger: captureLogger(logs), ...checkerOptions });
  // The app's own log at its most talkative, so a secret anywhere in a request's life would show.
  const app = Fastify({ forceCloseConnections: true, logger: { level: 'trace', stream: { write: (line: string) => void logs.push(line) } } });
  await app.register(aetherlinkFastify, { service: 'cc', routes: registryRoutes({ registry, checker, maxAgeMs: 60_000 }), bus });
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    registry.close();
    await app.close();
    await checker.close();
  });
  return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, app, registry, checker, bus, logs };
}

async function call(plane: Plane, method: string, path: string, headers: Record<string, string> = OPERATOR, body?: unknown) {
  const res = await fetch(`${plane.base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text ? (JSON.parse(text) as Record<string, any>) : null };
}

async function server(handler: Parameters<typeof startTestServer>[0]) {
  const s = await startTestServer(handler);
  servers.push(s);
  return s;
}

describe('POST /ops/register under the egress policy', () => {
  it('refuses link-local and metadata health URLs with a 400 naming health_url, under any policy', async () => {
    const plane = await controlPlane();
    for (const body of [
      { name: 'imds', url: 'http://api:8080', health_url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' },
      { name: 'imds-v6', url: 'http://api:8080', health_url: 'http://[fd00:ec2::254]/latest/meta-data/' },
      { name: 'imds-mapped', url: 'http://api:8080', health_url: 'http://[::ffff:169.254.169.254]/' },
      { name: 'gcp', url: 'http://api:8080', health_url: 'http://metadata.google.internal/computeMetadata/v1/' },
      { name: 'link-local', url: 'http://api:8080', health_url: 'http://169.254.3.4:9000/ping' },
      { name: 'derived', url: 'http://169.254.169.254/latest' },
    ]) {
      const res = await call(plane, 'POST', '/ops/register', OPERATOR, body);
      expect(res.status, body.name).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'health_url', message: expect.stringMatching(/^may not be probed: .*(always refused)/) }] });
    }
    expect(await plane.registry.list()).toEqual([]);
    // The registry refuses them itself too, for apps that call it without the routes.
    await expect(plane.registry.register({ name: 'direct', url: 'http://a:1', health_url: 'http://169.254.169.254/' })).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'health_url', message: 'may not be probed: 169.254.169.254 is a cloud metadata address: calls there are always refused' }],
    });
  });

  it('looks the host up: a name that resolves to a metadata address, or a deny-listed one, is refused', async () => {
    const resolve = fakeDns({ 'evil.example': [['169.254.169.254']], 'vault.internal': [['10.9.0.2']], 'api.internal': [['10.1.0.7']] });
    const plane = await controlPlane({ egress: createEgressPolicy({ allowPrivate: true, allowLoopback: true, deny: ['10.9.0.0/16'], resolve }) });
    const evil = await call(plane, 'POST', '/ops/register', OPERATOR, { name: 'evil', url: 'http://evil.example' });
    expect(evil.status).toBe(400);
    expect(evil.body!.errors).toEqual([
      { field: 'health_url', message: 'may not be probed: evil.example resolves to 169.254.169.254, which is a cloud metadata address: calls there are always refused' },
    ]);
    const vault = await call(plane, 'POST', '/ops/register', OPERATOR, { name: 'vault', url: 'http://vault.internal:8200' });
    expect(vault.body!.errors).toEqual([{ field: 'health_url', message: 'may not be probed: vault.internal resolves to 10.9.0.2, which is on the deny list (10.9.0.0/16)' }]);
    // Private names are fine for probes by default, and a name that does not resolve yet is the probes' to report.
    expect((await call(plane, 'POST', '/ops/register', OPERATOR, { name: 'api', url: 'http://api.internal:8080' })).status).toBe(200);
    expect((await call(plane, 'POST', '/ops/register', OPERATOR, { name: 'later', url: 'http://not-deployed-yet.internal' })).status).toBe(200);
    expect((await plane.registry.list()).map((s) => s.name)).toEqual(['api', 'later']);
  });
});

describe('probes under the egress policy', () => {
  it('connect through the guarded lookup: a name that resolves elsewhere after registration is refused at probe time', async () => {
    // Each answer closes its connection, so every probe connects (and looks the name up) again.
    const health = await server((req, res) => {
      res.setHeader('connection', 'close');
      answer(200, { status: 'ok' })(req, res);
    });
    const resolve = fakeDns({ 'svc.test': [['127.0.0.1'], ['127.0.0.1'], ['169.254.169.254']] });
    const plane = await controlPlane({ egress: createEgressPolicy({ allowPrivate: true, allowLoopback: true, resolve }) });
    const url = `http://svc.test:${health.port}`;
    expect((await call(plane, 'POST', '/ops/register', OPERATOR, { name: 'svc', url })).status).toBe(200);
    // svc.test exists only in the policy's resolver: the probe's connection really looks it up there.
    expect(await plane.checker.checkService('svc')).toMatchObject({ status: 'ok' });
    expect(health.hits()).toBe(1);
    // The name now points at the metadata address: the next connection is refused before it is made.
    expect(await plane.checker.checkService('svc')).toMatchObject({
      status: 'down',
      latency_ms: null,
      error: 'refused to connect: svc.test resolves to 169.254.169.254, which is a cloud metadata address: calls there are always refused',
    });
    expect(health.hits()).toBe(1);
    expect(health.connections()).toBe(1);
  });

  it('refuses a loopback address literal under a policy that does not allow loopback, at connect time', async () => {
    const health = await server(answer(200, { status: 'ok' }));
    const registry = createRegistry();
    const strict = createHealthChecker({ registry, egress: createEgressPolicy({ allowPrivate: true }) });
    cleanups.push(() => strict.close());
    await registry.register({ name: 'local', url: health.url });
    expect(await strict.checkService('local')).toMatchObject({ status: 'down', error: expect.stringMatching(/^refused to connect: 127\.0\.0\.1 is a loopback address/) });
    // An address literal skips the lookup: the connection is judged once made, and dropped before the request.
    expect(health.hits()).toBe(0);
  });

  it('checks each URL before probing through a dispatcher of the app’s own', async () => {
    const health = await server(answer(200, { status: 'ok' }));
    const registry = createRegistry();
    const dispatcher = new Agent();
    const own = createHealthChecker({ registry, dispatcher, egress: createEgressPolicy({ allowPrivate: true }) });
    cleanups.push(async () => {
      await own.close();
      await dispatcher.close();
    });
    await registry.register({ name: 'local', url: health.url });
    expect(await own.checkService('local')).toMatchObject({ status: 'down', error: expect.stringMatching(/^refused to connect: 127\.0\.0\.1 is a loopback address/) });
    expect(health.hits()).toBe(0);
  });
});

describe('body-path conditions never repeat what they found', () => {
  it('keeps a secret at the body path out of /ops/health, /ops/services, the stored event and the logs', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETzKEY';
    const health = await server(answer(200, { Code: 'Success', AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: secret }));
    const plane = await controlPlane();
    const registered = await call(plane, 'POST', '/ops/register', OPERATOR, { name: 'creds', url: health.url, check: { body_path: 'SecretAccessKey', body_ok: ['ok'] } });
    expect(registered.status).toBe(200);

    const report = await call(plane, 'GET', '/ops/health?fresh=true');
    expect(report.body!.services).toEqual([
      expect.objectContaining({ name: 'creds', status: 'down', error: 'body.SecretAccessKey: expected one of ["ok"], found a string' }),
    ]);
    expect(health.hits()).toBe(1);
    const services = await call(plane, 'GET', '/ops/services');
    const failed = await plane.bus.query({ type: 'service.health.failed' });
    expect(failed.events).toHaveLength(1);
    expect(failed.events[0]!.data).toMatchObject({ name: 'creds', error: 'body.SecretAccessKey: expected one of ["ok"], found a string' });
    // Viewers read events; what they can read holds no trace of it either.
    const recent = await call(plane, 'GET', '/events/recent', VIEWER);
    expect(plane.logs.length).toBeGreaterThan(0);
    for (const [where, text] of [
      ['/ops/health', report.text],
      ['/ops/services', services.text],
      ['the stored event', JSON.stringify(failed.events)],
      ['/events/recent', recent.text],
      ['the logs', plane.logs.join('\n')],
    ] as const) {
      expect(text, where).not.toContain(secret);
      expect(text, where).not.toContain('zSECRETz');
    }
  });
});
