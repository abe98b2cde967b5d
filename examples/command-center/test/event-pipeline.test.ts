import { randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import { createEventBus, eventRoutes, MAX_FILTER_VALUES } from '@aetherlink/core';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter } from '../src/server.js';
import { tempDbPath } from './helpers.js';

// Defects 1, 3 and 13 through real sockets: one bad event among pipelined publishes, list filters, and `since`,
// the same on every store the server can run on.

const AGENT = { 'x-user-roles': 'agent', 'content-type': 'application/json' };
const VIEWER = { 'x-user-roles': 'viewer' };

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends every request down one socket before reading any answer (HTTP/1.1 pipelining), then reads one answer
 * per request, in order. Answers must carry a content-length (Fastify's JSON answers do).
 */
function pipelined(url: string, requests: { method: string; path: string; headers: Record<string, string>; body?: string }[]): Promise<RawResponse[]> {
  const { hostname, port } = new URL(url);
  const wire = requests
    .map((r) => {
      const body = Buffer.from(r.body ?? '');
      const head = Object.entries({ host: `${hostname}:${port}`, ...r.headers, 'content-length': String(body.length) })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      return Buffer.concat([Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${head}\r\n`), body]);
    })
    .reduce((all, one) => Buffer.concat([all, one]), Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const answers: RawResponse[] = [];
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`only ${answers.length} of ${requests.length} answers within 20 s`)), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => answers.length < requests.length && fail(new Error(`the server closed after ${answers.length} answers`)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        if (headers['content-length'] === undefined) return fail(new Error(`an answer without content-length: ${statusLine}`));
        const length = Number(headers['content-length']);
        if (buffered.length < end + 4 + length) return;
        answers.push({ status: Number(statusLine!.split(' ')[1]), headers, body: buffered.subarray(end + 4, end + 4 + length).toString('utf8') });
        buffered = buffered.subarray(end + 4 + length);
        if (answers.length === requests.length) {
          clearTimeout(timer);
          socket.end();
          return resolve(answers);
        }
      }
    });
    socket.write(wire);
  });
}

/** The field names of a problem+json answer, after checking it is one. */
function problemFields(answer: RawResponse): { field: string; in?: string }[] {
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.body) as { status: number; code: string; errors?: { field: string; in?: string }[] };
  expect(problem).toMatchObject({ status: answer.status, code: 'validation_failed' });
  return (problem.errors ?? []).map(({ field, in: where }) => (where ? { field, in: where } : { field }));
}

interface Target {
  url: string;
  close(): Promise<void>;
}

/** The reference server in this process, on SQLite or PostgreSQL. */
async function referenceServer(env: Record<string, string>): Promise<Target> {
  const cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', SELF_REGISTER: 'false', ...env }), { env: {} });
  const url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => cc.close() };
}

/** The event routes alone over the in-memory store, behind the same Fastify adapter. */
async function memoryServer(): Promise<Target> {
  const bus = createEventBus();
  const app = Fastify({ forceCloseConnections: true });
  await app.register(aetherlinkFastify, { service: 'memory-events', routes: eventRoutes({ bus }), bus });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

function postgresUrl(): string {
  const pg = inject('postgres');
  if ('error' in pg) throw new Error(`no PostgreSQL for the tests: ${pg.error}`);
  return pg.connectionString;
}

const STORES: [string, () => Promise<Target>][] = [
  ['memory', memoryServer],
  ['SQLite', () => referenceServer({ AETHERLINK_DB: tempDbPath() })],
  ['PostgreSQL', () => referenceServer({ DATABASE_URL: postgresUrl(), DATABASE_SCHEMA: `cc_pipe_${randomBytes(4).toString('hex')}` })],
];

describe.each(STORES)('events over HTTP on %s', (_name, start) => {
  let target: Target;
  beforeAll(async () => {
    target = await start();
  }, 30_000);
  afterAll(() => target?.close());

  const get = async (path: string) => {
    const res = await fetch(`${target.url}${path}`, { headers: VIEWER });
    const text = await res.text();
    return { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? '' }, body: text };
  };

  /** Pipelines three valid publishes, one bad body, three valid publishes; returns the answers and what was stored. */
  const sevenPipelined = async (bad: (source: string) => string) => {
    const source = `pipe-${randomBytes(3).toString('hex')}`;
    const publish = (body: string) => ({ method: 'POST', path: '/events/publish', headers: AGENT, body });
    const valid = (id: string) => publish(JSON.stringify({ type: 'pipe.test', source, id }));
    const answers = await pipelined(target.url, [valid('v1'), valid('v2'), valid('v3'), publish(bad(source)), valid('v4'), valid('v5'), valid('v6')]);
    const recent = JSON.parse((await get(`/events/recent?source=${source}&limit=20`)).body) as { events: { id: string }[] };
    return { answers, stored: recent.events.map((e) => e.id).sort() };
  };

  it('pipelined publishes: data nested 5,000 levels deep is refused alone, naming data', async () => {
    // A 30 KB body, under the 64 KB limit, that JSON.parse reads and JSON.stringify cannot write back.
    const deep = (source: string) => `{"type":"pipe.test","source":"${source}","id":"deep","data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    expect(deep('x').length).toBeGreaterThan(30_000);
    const { answers, stored } = await sevenPipelined(deep);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 400, 200, 200, 200]);
    expect(problemFields(answers[3]!)).toEqual([{ field: 'data' }]);
    expect(stored).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('pipelined publishes: a time in year 0 is refused alone, naming time', async () => {
    const { answers, stored } = await sevenPipelined((source) => JSON.stringify({ type: 'pipe.test', source, id: 'year-0', time: '0000-01-01T00:00:00Z' }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 400, 200, 200, 200]);
    expect(problemFields(answers[3]!)).toEqual([{ field: 'time' }]);
    expect(stored).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('reads since as ISO 8601 or a window back from now, and refuses anything else naming since', async () => {
    for (const since of ['15m', '1h', '24h', '7d', '36500d', '2026-01-01', '2026-01-01T00:00:00Z', '0001-01-01T00:00:00Z']) {
      expect((await get(`/events/recent?limit=1&since=${encodeURIComponent(since)}`)).status, since).toBe(200);
    }
    for (const since of ['999999d', '1', '2024', 'Tue, 1 Nov 2022 10:00:00 +0100', '0000-01-01T00:00:00Z', '2026-02-30']) {
      for (const path of ['/events/recent?limit=1', '/events/stream?limit=1']) {
        const answer = await get(`${path}&since=${encodeURIComponent(since)}`);
        expect(answer.status, `${path} since=${since}`).toBe(400);
        expect(problemFields(answer), `${path} since=${since}`).toEqual([{ field: 'since', in: 'query' }]);
      }
    }
  });

  it(`dedupes list filters and refuses more than ${MAX_FILTER_VALUES} distinct values, naming the field`, async () => {
    const source = `lists-${randomBytes(3).toString('hex')}`;
    for (const severity of ['info', 'error']) {
      const res = await fetch(`${target.url}/events/publish`, { method: 'POST', headers: AGENT, body: JSON.stringify({ type: 'list.test', source, severity }) });
      expect(res.status).toBe(200);
    }
    const repeated = await get(`/events/recent?limit=10&source=${source}&severity=${Array(2000).fill('info').join(',')}`);
    expect(repeated.status).toBe(200);
    expect((JSON.parse(repeated.body) as { events: { severity: string }[] }).events.map((e) => e.severity)).toEqual(['info']);

    const types = Array.from({ length: MAX_FILTER_VALUES - 1 }, (_, i) => `other.t${i}`);
    const ok = await get(`/events/recent?limit=10&source=${source}&event_type=${[...types, ...types, 'list.test'].join(',')}`);
    expect(JSON.parse(ok.body)).toMatchObject({ count: 2 });
    const tooMany = await get(`/events/recent?limit=10&event_type=${[...types, 'list.test', 'one.more'].join(',')}`);
    expect(tooMany.status).toBe(400);
    expect(problemFields(tooMany)).toEqual([{ field: 'event_type', in: 'query' }]);
  });
});
