import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createEgressPolicy, createManualClock, systemClock } from '@aetherlink/core';
import { recordingRuntime } from '@aetherlink/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolvePolicy } from '../policy.js';
import type { ResolvedTarget } from '../types.js';
import { createCheckRunner, type CheckRunner } from './runner.js';

const servers: Server[] = [];
async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const json = (status: number, body: unknown, delayMs = 0): RequestListener => (_req, res) => {
  setTimeout(() => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  }, delayMs);
};

const policy = resolvePolicy({ checkTimeoutMs: 1000 });
let runner: CheckRunner;
afterEach(() => runner?.close());

const target = (checks: ResolvedTarget['checks']): ResolvedTarget => ({
  name: 'svc', runtimeId: 'svc-1', checks, dependsOn: [], source: 'configured', failureThreshold: 3, successThreshold: 1, startGraceMs: 0, stopTimeoutMs: 1000, registryMaintenance: false,
});
const http = (url: string, extra: Record<string, unknown> = {}) => ({ kind: 'http' as const, name: 'http', role: 'liveness' as const, timeoutMs: 1000, url, ...extra });

describe('HTTP checks (the registry prober, through the egress policy)', () => {
  let ok: string, broken: string, slow: string, limited: string, body: string, lightship: string, aetherlink: string, hangs: string;
  beforeAll(async () => {
    ok = await serve(json(200, { status: 'ok' }));
    broken = await serve(json(500, { error: 'db down' }));
    slow = await serve(json(200, { status: 'ok' }, 150));
    limited = await serve(json(429, {}));
    body = await serve(json(200, { checks: { db: 'down' } }));
    lightship = await serve((_req, res) => {
      res.statusCode = 500;
      res.end('SERVER_IS_SHUTTING_DOWN');
    });
    aetherlink = await serve(json(503, { status: 'fail', checks: { 'shutdown:draining': [{ status: 'fail', output: 'this instance is shutting down' }] } }));
    hangs = await serve(() => undefined);
  });

  it('judges status range, body path, 429 and response time', async () => {
    runner = createCheckRunner({ runtime: null, policy, clock: systemClock });
    const obs = await runner.observe(
      target([
        http(ok, { name: 'ok' }),
        http(broken, { name: 'broken' }),
        http(slow, { name: 'slow', maxLatencyMs: 50 }),
        http(limited, { name: 'limited' }),
        http(body, { name: 'body', body: { path: 'checks.db', ok: ['up'] } }),
      ]),
    );
    expect(obs.checks.map((c) => [c.name, c.verdict, c.health, c.status_code, c.error])).toEqual([
      ['ok', 'pass', 'ok', 200, null],
      ['broken', 'fail', 'down', 500, 'HTTP 500, expected 200–299'],
      ['slow', 'fail', 'down', 200, expect.stringMatching(/^answered in \d+ ms, over the 50 ms limit$/)],
      ['limited', 'pass', 'degraded', 429, 'HTTP 429: the service is shedding load'],
      ['body', 'fail', 'down', 200, 'body.checks.db: expected one of ["up"], found a string'],
    ]);
    expect(obs).toMatchObject({ liveness: 'fail', health: 'down', allPass: false, failure: { name: 'broken' } });
  });

  it('takes a 500 or 503 that says it is shutting down for draining, not broken', async () => {
    runner = createCheckRunner({ runtime: null, policy, clock: systemClock });
    const obs = await runner.observe(target([http(lightship, { name: 'lightship' }), http(aetherlink, { name: 'aetherlink' })]));
    expect(obs.checks.map((c) => [c.name, c.verdict])).toEqual([['lightship', 'draining'], ['aetherlink', 'draining']]);
    expect(obs).toMatchObject({ liveness: 'draining', health: 'draining' });
    expect((await runner.observe(target([http(broken)]))).liveness).toBe('fail');
  });

  it('fails a hung service at its deadline', async () => {
    runner = createCheckRunner({ runtime: null, policy, clock: systemClock });
    const obs = await runner.observe(target([http(hangs, { timeoutMs: 200 })]));
    expect(obs.checks[0]).toMatchObject({ verdict: 'fail', error: 'no answer within 200 ms', status_code: null });
  });

  it('never reaches what the egress policy refuses', async () => {
    runner = createCheckRunner({ runtime: null, policy, clock: systemClock, egress: createEgressPolicy({ allowPrivate: false, allowLoopback: false }) });
    const obs = await runner.observe(target([http(ok), http('http://169.254.169.254/latest/meta-data/', { name: 'imds' })]));
    expect(obs.checks.map((c) => c.verdict)).toEqual(['fail', 'fail']);
    expect(obs.checks[0]!.error).toMatch(/loopback/);
    expect(obs.checks[1]!.error).toMatch(/link-local|metadata/);
  });
});

describe('TCP checks', () => {
  it('passes on a connection, fails on a refusal and on what the policy refuses', async () => {
    const tcp = createTcpServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as AddressInfo).port;
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    try {
      const check = (name: string, p: number) => ({ kind: 'tcp' as const, name, role: 'liveness' as const, timeoutMs: 1000, host: '127.0.0.1', port: p });
      runner = createCheckRunner({ runtime: null, policy, clock: systemClock });
      const obs = await runner.observe(target([check('open', port), check('closed', closedPort)]));
      expect(obs.checks.map((c) => [c.name, c.verdict, c.error])).toEqual([['open', 'pass', null], ['closed', 'fail', 'connection refused']]);
      const strict = createCheckRunner({ runtime: null, policy, clock: systemClock, egress: createEgressPolicy({ allowLoopback: false }) });
      const refused = await strict.observe(target([check('open', port)]));
      await strict.close();
      expect(refused.checks[0]).toMatchObject({ verdict: 'fail', error: expect.stringMatching(/loopback/) });
    } finally {
      await new Promise((r) => tcp.close(r));
    }
  });
});

describe('custom and runtime checks', () => {
  it('takes booleans, answers and throws, and fails a check that outlives its deadline', async () => {
    const clock = createManualClock();
    runner = createCheckRunner({ runtime: null, policy, clock });
    const custom = (name: string, run: () => unknown) => ({ kind: 'custom' as const, name, role: 'liveness' as const, timeoutMs: 500, run: run as () => boolean });
    const pending = runner.observe(
      target([
        custom('yes', () => true),
        custom('no', () => ({ ok: false, error: 'queue depth 10 000' })),
        custom('throws', () => {
          throw new Error('boom');
        }),
        custom('never', () => new Promise(() => undefined)),
      ]),
    );
    await clock.advanceAsync(500);
    expect((await pending).checks.map((c) => [c.name, c.verdict, c.error])).toEqual([
      ['yes', 'pass', null],
      ['no', 'fail', 'queue depth 10 000'],
      ['throws', 'fail', 'boom'],
      ['never', 'fail', 'no answer within 500 ms'],
    ]);
  });

  it('reads the runtime: running passes, exited fails, restarting is inconclusive', async () => {
    const runtime = recordingRuntime({ workloads: { 'svc-1': {} } });
    runner = createCheckRunner({ runtime, policy, clock: systemClock });
    const check = { kind: 'runtime' as const, name: 'runtime', role: 'liveness' as const, timeoutMs: 1000 };
    expect((await runner.observe(target([check]))).liveness).toBe('pass');
    runtime.set('svc-1', { state: 'exited', exitCode: 137 });
    expect((await runner.observe(target([check]))).checks[0]).toMatchObject({ verdict: 'fail', error: 'exited with code 137' });
    runtime.set('svc-1', { state: 'restarting' });
    expect((await runner.observe(target([check]))).liveness).toBe('unknown');
  });
});
