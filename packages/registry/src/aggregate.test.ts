import type { ServiceRecord } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { aggregateHealth } from './aggregate.js';
import type { ServiceHealth } from './types.js';
import { toServiceHealth, toServiceView } from './view.js';

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
    meta: { team: 'ops' },
    ttl_seconds: 90,
    check: { status: '200-399' },
    status: 'ok',
    status_since: new Date(T0).toISOString(),
    registered_at: new Date(T0).toISOString(),
    last_seen: new Date(T0).toISOString(),
    lease_expires_at: new Date(T0 + 90_000).toISOString(),
    last_check: { checked_at: new Date(T0).toISOString(), latency_ms: 4.2, error: null },
    revision: 3,
  };

  it('shows the lease length and check settings from their fields; settings the schema refuses read as absent', () => {
    expect(toServiceView(record, T0)).toMatchObject({ ttl_seconds: 90, meta: { team: 'ops' }, check: { status: '200-399' } });
    expect(toServiceView(record, T0)).not.toHaveProperty('revision');
    // Edited by hand in the database: the checker falls back to its defaults rather than failing on them.
    expect(toServiceView({ ...record, check: { status: 5 } }, T0).check).toBeNull();
    expect(toServiceView({ ...record, check: { status: '200-399', extra: true } }, T0).check).toBeNull();
    expect(toServiceView({ ...record, check: null }, T0).check).toBeNull();
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
