import type { ServiceRecord } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { aggregateHealth } from './aggregate.js';
import type { ServiceHealth } from './types.js';
import { packMeta, toServiceHealth, toServiceView, unpackMeta } from './view.js';

const h = (name: string, status: ServiceHealth['status']): ServiceHealth => ({ name, status, latency_ms: 1, error: null, checked_at: 'x' });

describe('aggregateHealth', () => {
  it('is the worst status, services worst first then by name', () => {
    const report = aggregateHealth([h('b', 'ok'), h('a', 'degraded'), h('d', 'down'), h('c', 'ok')], 'now');
    expect(report.status).toBe('down');
    expect(report.services.map((s) => s.name)).toEqual(['d', 'a', 'b', 'c']);
    expect(aggregateHealth([h('a', 'down'), h('m', 'maintenance')], 'now').status).toBe('maintenance');
  });

  it('is ok for an empty fleet', () => {
    expect(aggregateHealth([], 'now')).toEqual({ status: 'ok', checked_at: 'now', services: [] });
  });
});

describe('views', () => {
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const record: ServiceRecord = {
    name: 'api',
    url: 'http://api',
    health_url: 'http://api/ping',
    version: '1.0.0',
    roles_required: ['operator'],
    tags: ['core'],
    meta: packMeta({ team: 'ops' }, 90, { status: '200-399' }),
    status: 'ok',
    status_since: new Date(T0).toISOString(),
    registered_at: new Date(T0).toISOString(),
    last_seen: new Date(T0).toISOString(),
    lease_expires_at: new Date(T0 + 90_000).toISOString(),
    last_check: { checked_at: new Date(T0).toISOString(), latency_ms: 4.2, error: null },
  };

  it('packs lease and check into reserved meta keys and unpacks them', () => {
    expect(record.meta).toEqual({ team: 'ops', 'aetherlink.ttl_seconds': '90', 'aetherlink.check': '{"status":"200-399"}' });
    expect(unpackMeta(record.meta)).toEqual({ meta: { team: 'ops' }, ttlSeconds: 90, check: { status: '200-399' } });
    expect(unpackMeta({ 'aetherlink.ttl_seconds': 'x', 'aetherlink.check': '{' })).toEqual({ meta: {}, ttlSeconds: null, check: null });
  });

  it('shows the effective status and explains a run-out lease', () => {
    expect(toServiceView(record, T0 + 1000)).toMatchObject({ status: 'ok', ttl_seconds: 90, meta: { team: 'ops' }, check: { status: '200-399' } });
    const late = toServiceView(record, T0 + 90_000);
    expect(late.status).toBe('down');
    expect(toServiceHealth(late, T0 + 90_000)).toEqual({
      name: 'api',
      status: 'down',
      latency_ms: 4.2,
      error: 'lease expired at 2026-01-01T00:01:30.000Z (no heartbeat)',
      checked_at: record.last_check!.checked_at,
    });
    expect(toServiceHealth(toServiceView({ ...record, last_check: null, status: 'down' }, T0), T0)).toMatchObject({ error: 'not checked yet', checked_at: null });
  });
});
