// Issue #17, item 3: secrets (provider keys, the self-registration token, bearer tokens, secrets sent in request
// bodies) never come back from any route and never reach a log line, an audit record, an event, a metrics label or a
// problem body. Every output of the run is captured and searched: logs at debug, audit records, every GET of the
// document as admin, /metrics, the events (stored and streamed), and every answer to the requests made here.
// Upstream providers that echo the key they were sent are the hostile part.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditRecord } from '@aetherlink/core';
import { eventually, openStream, type OpenStream } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFixtures, pathFor } from './fixtures.js';
import { jwtEnv, operations, startInProcess, startJwks, type InProcessServer, type Jwks } from './harness.js';

vi.setConfig({ testTimeout: 120_000 });

const CLAUDE_KEY = 'hardening-claude-key-5f2c91d7e4b3';
const OPENAI_KEY = 'hardening-openai-key-8a6e03b2c7f1';
const BODY_SECRET = 'hardening-body-secret-3d9b7a51c2e8';
// Standard Webhooks secrets: whsec_ and base64 of at least 24 bytes.
const WEBHOOK_SECRET = `whsec_${Buffer.from('hardening-config-webhook-secret!').toString('base64')}`;
const ENDPOINT_SECRET = `whsec_${Buffer.from('hardening-endpoint-webhook-secret').toString('base64')}`;
const URL_TOKEN = 'hardeningUrlToken7c4e19b2';

describe('secrets never come back out', () => {
  let jwks: Jwks;
  let upstream: Server;
  let receiver: Server;
  const received: string[] = [];
  let server: InProcessServer;
  let stream: OpenStream;
  const logs: string[] = [];
  const audit: AuditRecord[] = [];
  const answers: string[] = [];
  const streamed: string[] = [];
  let adminToken: string;
  let selfToken: string;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    jwks = await startJwks();
    // An upstream that tells whoever calls it which key it was given.
    upstream = createServer((req, res) => {
      const key = req.headers['x-api-key'] ?? req.headers.authorization ?? 'none';
      req.resume();
      res.writeHead(req.url?.includes('messages') ? 401 : 500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `the key ${key} is not valid`, type: 'invalid_request_error' } }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    // A receiver that tells the sender which path (and token) it was called at.
    receiver = createServer((req, res) => {
      received.push(req.url ?? '');
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`no route for ${req.url}`);
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    selfToken = await jwks.token(['operator']);
    adminToken = await jwks.token(['admin']);
    Object.assign(secrets, { CLAUDE_KEY, OPENAI_KEY, BODY_SECRET, selfToken, adminToken, WEBHOOK_SECRET, ENDPOINT_SECRET, URL_TOKEN });
    server = await startInProcess(
      {
        ...jwtEnv(jwks),
        LOG_LEVEL: 'debug',
        SELF_REGISTER: 'true',
        SELF_REGISTER_TOKEN: selfToken,
        ALERT_WEBHOOKS: `${hook}/hooks/${URL_TOKEN}/config`,
        ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
        DELIVERY_POLL_MS: '100',
      },
      {
        loops: true,
        overrides: {
          auditSinks: [{ write: (r: AuditRecord) => void audit.push(r) }],
          logStream: { write: (line: string) => void logs.push(line) },
          env: { PROVIDER_ORDER: 'claude,openai', ANTHROPIC_BASE_URL: base, ANTHROPIC_API_KEY: CLAUDE_KEY, OPENAI_BASE_URL: `${base}/v1`, OPENAI_API_KEY: OPENAI_KEY },
        },
      },
    );
    stream = await openStream(`${server.url}/events/stream`, { authorization: `Bearer ${adminToken}` });
    void (async () => {
      for (;;) streamed.push((await stream.next(60_000)).data);
    })().catch(() => undefined);
  });
  afterAll(async () => {
    stream?.close();
    await server?.close();
    await jwks?.close();
    for (const s of [upstream, receiver]) await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  });

  const sinkUrl = async () => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown, token = adminToken) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await res.text();
    answers.push(`${method} ${path} → ${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('; ')}\n${text}`);
    return { status: res.status, text };
  };

  it('uses the secrets: providers fail echoing their keys, bad tokens are refused, bodies carry secrets', async () => {
    const orchestrate = await call('POST', '/orchestrate', { intent: 'summarize-activity', input: { activities: [{ type: 'call', note: 'hello' }] } });
    expect([400, 502]).toContain(orchestrate.status);
    expect((await call('POST', '/v1/chat/completions', { model: 'any', messages: [{ role: 'user', content: 'hi' }] })).status).toBe(502);
    // Refused tokens: expired, signed by another key, and one shaped like a provider key.
    const expired = await jwks.token(['admin'], (j) => j.setIssuedAt(1).setExpirationTime(2));
    const foreign = await jwks.foreignToken(['admin'], 'k1');
    Object.assign(secrets, { expired, foreign });
    for (const token of [expired, foreign, CLAUDE_KEY]) expect((await call('GET', '/audit/stats', undefined, token)).status).toBe(401);
    // A secret in request bodies, accepted and refused, and in a query string: a log line must hold none of them.
    await call('POST', '/events/publish', { type: 'hardening.secret', source: 'hardening', data: { password: BODY_SECRET } });
    await call('POST', '/ops/register', { name: 'x', url: BODY_SECRET });
    await call('POST', '/alerts/rules', { name: 'n', window_seconds: BODY_SECRET, threshold: 1 });
    await call('GET', `/events/recent?source=${BODY_SECRET}`);
    await eventually(async () => (await call('GET', '/ops/services')).text.includes('aetherlink-command-center'), 'the server registered itself with its token');
    // Webhooks: one from configuration (its URL holds a token), one made through the API with its own secret; a
    // test alert to each, which the receiver refuses, echoing the path it was called at.
    const made = JSON.parse((await call('POST', '/alerts/endpoints', { url: `${(await sinkUrl())}/hooks/${URL_TOKEN}/api`, channel: 'webhook', secret: ENDPOINT_SECRET })).text) as { endpoint: { id: string } };
    const listed = JSON.parse((await call('GET', '/alerts/endpoints')).text) as { endpoints: { id: string }[] };
    for (const { id } of listed.endpoints) await call('POST', `/alerts/endpoints/${id}/test`);
    expect(listed.endpoints.map((e) => e.id)).toContain(made.endpoint.id);
    await eventually(() => received.filter((p) => p.includes(URL_TOKEN)).length >= 2, 'both receivers called');
    const history = JSON.parse((await call('GET', '/alerts/deliveries/history?limit=50')).text) as { deliveries: { id: string }[] };
    await eventually(async () => {
      const all = await Promise.all(history.deliveries.map(async (d) => JSON.parse((await call('GET', `/alerts/deliveries/${d.id}`)).text) as { attempt_log: unknown[] }));
      return all.length >= 2 && all.every((d) => d.attempt_log.length > 0);
    }, 'the attempts recorded');
  });

  it('finds no secret in any answer of any route, in logs, audit records, events or metrics', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as never;
    const fixtures = await createFixtures(server.url).catch(() => ({}) as Record<string, string>);
    for (const { method, path } of operations(doc)) if (method === 'GET') await call('GET', pathFor(path, fixtures));
    await call('GET', '/providers/health');
    await call('GET', '/events/recent?limit=1000');
    await eventually(() => streamed.length > 3, 'events streamed');
    const outputs: Record<string, string> = {
      logs: logs.join(''),
      audit: JSON.stringify(audit),
      answers: answers.join('\n'),
      events: streamed.join('\n'),
    };
    expect(outputs.logs!.length).toBeGreaterThan(1000);
    const found: string[] = [];
    // Kept out of logs, audit, events and answers: keys and tokens anywhere; body secrets except where stored on purpose.
    for (const [where, text] of Object.entries(outputs)) {
      for (const [name, secret] of Object.entries(secrets)) {
        if (name === 'BODY_SECRET' && (where === 'answers' || where === 'events')) continue;
        for (const form of [secret, secret.slice(0, 20), Buffer.from(secret).toString('base64').slice(0, 20)]) {
          if (text.includes(form)) found.push(`${name} (${form === secret ? 'whole' : 'part'}) in ${where}: …${text.slice(Math.max(0, text.indexOf(form) - 80), text.indexOf(form) + 40)}…`);
        }
      }
    }
    expect(found).toEqual([]);
    // The providers' failures are reported (redacted), so the search above looked at real upstream text.
    expect(outputs.answers).toMatch(/the key \[redacted\] is not valid|\[redacted\]/);
    console.info(`[hardening] secrets: ${Object.keys(secrets).length} secrets searched in ${Object.values(outputs).reduce((n, t) => n + t.length, 0)} characters of logs, audit, answers (${answers.length}) and events`);
  });
});
