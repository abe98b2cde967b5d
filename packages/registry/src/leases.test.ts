import type { ServiceRecord } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { decideLease, effectiveStatus, leaseExpiresAt, leaseState } from './leases.js';
import { reportsFailure, statusAfterProbe, statusOnRegister } from './transitions.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const CRITICAL = 300_000;

const record = (overrides: Partial<ServiceRecord> = {}): ServiceRecord => ({
  name: 'api',
  url: 'http://api',
  health_url: 'http://api/ping',
  version: null,
  roles_required: [],
  tags: [],
  meta: {},
  ttl_seconds: 90,
  check: null,
  status: 'ok',
  status_since: at(0),
  registered_at: at(0),
  last_seen: at(0),
  lease_expires_at: at(90_000),
  last_check: { checked_at: at(0), latency_ms: 3, error: null },
  revision: 1,
  ...overrides,
});

describe('leases', () => {
  it('computes the expiry from the ttl', () => {
    expect(leaseExpiresAt(T0, 90)).toBe(at(90_000));
  });

  it('moves from alive to expired to critical', () => {
    const r = record();
    expect(leaseState(r, T0 + 89_999, CRITICAL)).toBe('alive');
    expect(leaseState(r, T0 + 90_000, CRITICAL)).toBe('expired');
    expect(leaseState(r, T0 + 90_000 + CRITICAL - 1, CRITICAL)).toBe('expired');
    expect(leaseState(r, T0 + 90_000 + CRITICAL, CRITICAL)).toBe('critical');
    expect(leaseState(record({ lease_expires_at: null }), T0 + 1e12, CRITICAL)).toBe('none');
  });

  it('marks down once, then deregisters after critical-for', () => {
    expect(decideLease(record(), T0 + 1000, CRITICAL)).toBe('keep');
    expect(decideLease(record(), T0 + 90_000, CRITICAL)).toBe('mark_down');
    expect(decideLease(record({ status: 'down' }), T0 + 90_000, CRITICAL)).toBe('keep');
    expect(decideLease(record({ status: 'down' }), T0 + 90_000 + CRITICAL, CRITICAL)).toBe('deregister');
    expect(decideLease(record({ status: 'ok' }), T0 + 90_000 + CRITICAL, CRITICAL)).toBe('deregister');
  });

  it('never expires a service without a lease, nor one in maintenance', () => {
    expect(decideLease(record({ lease_expires_at: null, status: 'down' }), T0 + 1e12, CRITICAL)).toBe('keep');
    expect(decideLease(record({ status: 'maintenance' }), T0 + 1e12, CRITICAL)).toBe('keep');
  });

  it('shows a run-out lease as down before the expiry pass writes it', () => {
    expect(effectiveStatus(record(), T0 + 1000)).toBe('ok');
    expect(effectiveStatus(record(), T0 + 90_000)).toBe('down');
    expect(effectiveStatus(record({ status: 'maintenance' }), T0 + 90_000)).toBe('maintenance');
    expect(effectiveStatus(record({ lease_expires_at: null, status: 'degraded' }), T0 + 1e12)).toBe('degraded');
  });
});

describe('status transitions', () => {
  it('starts a new service down until a check passes', () => {
    expect(statusOnRegister(null, 'http://api/ping', at(5))).toEqual({ status: 'down', status_since: at(5), last_check: null });
  });

  it('keeps what the checker found when re-registering with the same health URL', () => {
    const existing = record({ status: 'ok', status_since: at(1) });
    expect(statusOnRegister(existing, 'http://api/ping', at(5))).toEqual({ status: 'ok', status_since: at(1), last_check: existing.last_check });
  });

  it('starts over with a new health URL, but holds maintenance', () => {
    expect(statusOnRegister(record(), 'http://api/healthz', at(5))).toEqual({ status: 'down', status_since: at(5), last_check: null });
    expect(statusOnRegister(record({ status: 'maintenance' }), 'http://api/healthz', at(5)).status).toBe('maintenance');
  });

  it('takes the probe’s status unless maintenance or a run-out lease says otherwise', () => {
    expect(statusAfterProbe(record({ status: 'down' }), 'ok', T0 + 1000)).toBe('ok');
    expect(statusAfterProbe(record(), 'ok', T0 + 90_000)).toBe('down');
    expect(statusAfterProbe(record({ status: 'maintenance' }), 'down', T0 + 1000)).toBe('maintenance');
    expect(statusAfterProbe(record({ lease_expires_at: null }), 'degraded', T0 + 1e12)).toBe('degraded');
  });

  it('reports a failure once per streak, and again when the status changes', () => {
    const passing = record();
    const failing = record({ status: 'down', last_check: { checked_at: at(1), latency_ms: null, error: 'connection refused' } });
    expect(reportsFailure(passing, { status: 'down' }, 'down')).toBe(true);
    expect(reportsFailure(record({ last_check: null, status: 'down' }), { status: 'down' }, 'down')).toBe(true);
    expect(reportsFailure(failing, { status: 'down' }, 'down')).toBe(false);
    expect(reportsFailure(failing, { status: 'degraded' }, 'degraded')).toBe(true);
    expect(reportsFailure(passing, { status: 'ok' }, 'ok')).toBe(false);
    expect(reportsFailure(record({ status: 'maintenance' }), { status: 'down' }, 'maintenance')).toBe(false);
  });
});
