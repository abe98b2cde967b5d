import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { createAuditLog } from './audit-log.js';
import { createAuditLineSerializer, memoryAuditSink, pinoAuditSink } from './sinks.js';

const entry = (path: string, status: number) => ({ method: 'GET', path, roles: ['viewer'], status, client_ip: '127.0.0.1', duration_ms: 1.5 });

describe('createAuditLog', () => {
  it('stamps ts and service and counts stats like the seed', async () => {
    const clock = createManualClock(Date.parse('2026-02-02T02:02:02.000Z'));
    const sink = memoryAuditSink();
    const audit = createAuditLog({ service: 'cc', sinks: [sink], clock });
    audit.record(entry('/ops/health', 200));
    audit.record(entry('/ops/health', 401));
    audit.record(entry('/ops/services', 403));
    audit.record(entry('/ops/health', 200));
    expect(sink.records()[0]).toEqual({ ts: '2026-02-02T02:02:02.000Z', service: 'cc', ...entry('/ops/health', 200) });
    expect(await audit.stats()).toEqual({
      total_requests: 4,
      denied_401_unauthorized: 1,
      denied_403_forbidden: 1,
      by_path: { '/ops/health': 3, '/ops/services': 1 },
      by_status: { '200': 2, '401': 1, '403': 1 },
    });
  });
});

describe('pinoAuditSink', () => {
  it('writes JSON lines and redacts secrets at any depth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    const file = join(dir, 'audit.log');
    const sink = pinoAuditSink({ destination: file });
    const audit = createAuditLog({ service: 'cc', sinks: [sink] });
    audit.record({
      ...entry('/events/publish', 200),
      meta: { authorization: 'Bearer abc', headers: { authorization: 'Bearer xyz', 'x-api-key': 'k' }, token: 't', nested: { deeper: { secret: 's' } }, ok: 'visible' },
    });
    audit.record(entry('/ops/ping', 200));
    await audit.close();
    const text = readFileSync(file, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ service: 'cc', path: '/events/publish', status: 200, meta: { ok: 'visible' } });
    expect(lines[0].log).toBe('audit');
    expect(lines[0].meta.nested.deeper.secret).toBe('[redacted]');
    for (const secret of ['Bearer abc', 'Bearer xyz', '"k"', '"t"', '"s"']) expect(text).not.toContain(secret);
    expect(lines[0].meta.headers.authorization).toBe('[redacted]');
  });
});

describe('createAuditLineSerializer', () => {
  it('writes valid JSON for awkward values, the same on every call', () => {
    const line = createAuditLineSerializer();
    const record = {
      ts: '2026-01-01T00:00:00.000Z',
      service: 'svc "quoted"\n',
      method: 'GET',
      path: '/a/{b}',
      roles: Object.freeze(['viewer', 'we"ird']),
      status: 200,
      client_ip: '::ffff:127.0.0.1',
      duration_ms: Number.NaN,
      principal: 'u\\1',
      meta: { token: 'x', note: 'ok' },
    };
    for (let i = 0; i < 2; i++) {
      const text = line(record);
      expect(text.endsWith('\n')).toBe(true);
      expect(JSON.parse(text)).toEqual({
        level: 30,
        time: Date.parse('2026-01-01T00:00:00.000Z'),
        msg: 'GET /a/{b} 200',
        log: 'audit',
        ...record,
        roles: ['viewer', 'we"ird'],
        duration_ms: null,
        meta: { token: '[redacted]', note: 'ok' },
      });
    }
  });
});

describe('createAuditLineSerializer across records', () => {
  it('gives each record its own time, ts and msg when they change from one record to the next', () => {
    const line = createAuditLineSerializer();
    const base = { service: 's', path: '/x/{id}', roles: Object.freeze(['viewer']), client_ip: '127.0.0.1', duration_ms: 1 };
    const records = [
      { ...base, ts: '2026-01-01T00:00:00.000Z', method: 'GET', status: 200 },
      { ...base, ts: '2026-01-01T00:00:00.000Z', method: 'GET', status: 404 },
      { ...base, ts: '2026-01-01T00:00:00.001Z', method: 'POST', status: 200 },
      { ...base, ts: '2026-01-01T00:00:00.000Z', method: 'GET', status: 200 },
    ];
    expect(records.map((r) => JSON.parse(line(r)) as { time: number; ts: string; msg: string })).toEqual(
      records.map((r) => expect.objectContaining({ time: Date.parse(r.ts), ts: r.ts, msg: `${r.method} ${r.path} ${r.status}` })),
    );
  });
});

describe('createAuditLog with a store', () => {
  it('stores redacted meta and answers stats from the store', async () => {
    const { memoryAuditStore } = await import('../stores/memory/audit.js');
    const store = memoryAuditStore();
    const audit = createAuditLog({ service: 'cc', store });
    audit.record({ ...entry('/x', 403), meta: { authorization: 'Bearer leak', keep: 1 } });
    expect((await audit.stats()).denied_403_forbidden).toBe(1);
    const [stored] = await store.query({ limit: 1 });
    expect(stored!.meta).toEqual({ authorization: '[redacted]', keep: 1 });
    await audit.close();
  });
});
