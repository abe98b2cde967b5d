import { describe, expect, it } from 'vitest';
import { evaluateProbe, probeSettings } from './evaluate.js';
import { readJsonPath } from '@aetherlink/core';
import type { ProbeResult } from './types.js';

const ok = (overrides: Partial<ProbeResult> = {}): ProbeResult => ({ statusCode: 200, latencyMs: 5, error: null, ...overrides });

describe('evaluateProbe', () => {
  it('passes a 2xx answer by default', () => {
    expect(evaluateProbe(ok())).toEqual({ status: 'ok', error: null });
    expect(evaluateProbe(ok({ statusCode: 204 }))).toEqual({ status: 'ok', error: null });
  });

  it('is down on a transport failure, with its reason', () => {
    expect(evaluateProbe({ statusCode: null, latencyMs: 1, error: 'connection refused' })).toEqual({ status: 'down', error: 'connection refused' });
  });

  it('is down outside the status range and names the range', () => {
    expect(evaluateProbe(ok({ statusCode: 500 }))).toEqual({ status: 'down', error: 'HTTP 500, expected 200–299' });
    expect(evaluateProbe(ok({ statusCode: 301 }), { statusRange: [200, 399] }).status).toBe('ok');
    expect(evaluateProbe(ok({ statusCode: 200 }), { statusRange: [204, 204] })).toEqual({ status: 'down', error: 'HTTP 200, expected 204' });
  });

  it('treats 429 as degraded, whatever the range', () => {
    expect(evaluateProbe(ok({ statusCode: 429 }))).toEqual({ status: 'degraded', error: 'HTTP 429: the service is shedding load' });
    expect(evaluateProbe(ok({ statusCode: 429 }), { statusRange: [200, 499] }).status).toBe('degraded');
  });

  it('degrades a slow answer', () => {
    expect(evaluateProbe(ok({ latencyMs: 812.4 }), { maxLatencyMs: 500 })).toEqual({ status: 'degraded', error: 'answered in 812 ms, over the 500 ms limit' });
    expect(evaluateProbe(ok({ latencyMs: 500 }), { maxLatencyMs: 500 }).status).toBe('ok');
  });

  it('judges a JSON body path', () => {
    const body = { path: 'status', ok: ['ok'], degraded: ['degraded'] } as const;
    expect(evaluateProbe(ok({ body: { status: 'ok' } }), { body })).toEqual({ status: 'ok', error: null });
    expect(evaluateProbe(ok({ body: { status: 'degraded' } }), { body })).toEqual({ status: 'degraded', error: 'body.status is "degraded", one of the degraded values' });
    expect(evaluateProbe(ok({ body: { status: 'down' } }), { body })).toEqual({ status: 'down', error: 'body.status: expected one of ["ok"], found a string' });
    expect(evaluateProbe(ok({ body: { state: 'ok' } }), { body })).toEqual({ status: 'down', error: 'body.status: expected one of ["ok"], found nothing' });
    expect(evaluateProbe(ok({ bodyError: 'the body is not JSON' }), { body })).toEqual({ status: 'down', error: 'the body is not JSON' });
    expect(evaluateProbe(ok({ body: { up: true } }), { body: { path: 'up', ok: [true] } }).status).toBe('ok');
    expect(evaluateProbe(ok({ body: { up: 1 } }), { body: { path: 'up', ok: [true] } })).toEqual({ status: 'down', error: 'body.up: expected one of [true], found a number' });
  });

  it('reports every degradation together, and down wins over degraded', () => {
    const conditions = { maxLatencyMs: 10, body: { path: 'status', ok: ['ok'], degraded: ['busy'] } };
    expect(evaluateProbe(ok({ latencyMs: 50, body: { status: 'busy' } }), conditions)).toEqual({
      status: 'degraded',
      error: 'body.status is "busy", one of the degraded values; answered in 50 ms, over the 10 ms limit',
    });
    expect(evaluateProbe(ok({ latencyMs: 50, body: { status: 'broken' } }), conditions).status).toBe('down');
  });
});

describe('evaluateProbe never repeats what it found at a body path', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  it('names the expectation and the kind of value, for every kind', () => {
    const body = { path: 'SecretAccessKey', ok: ['ok'], degraded: ['busy'] } as const;
    const verdict = (value: unknown) => evaluateProbe(ok({ body: { SecretAccessKey: value } }), { body }).error;
    expect(verdict(secret)).toBe('body.SecretAccessKey: expected one of ["ok"], found a string');
    expect(verdict(20_240_917)).toBe('body.SecretAccessKey: expected one of ["ok"], found a number');
    expect(verdict(false)).toBe('body.SecretAccessKey: expected one of ["ok"], found a boolean');
    expect(verdict(null)).toBe('body.SecretAccessKey: expected one of ["ok"], found null');
    expect(verdict({ key: secret })).toBe('body.SecretAccessKey: expected one of ["ok"], found an object');
    expect(verdict([secret])).toBe('body.SecretAccessKey: expected one of ["ok"], found an array');
  });

  it('says a redirect is not followed', () => {
    expect(evaluateProbe(ok({ statusCode: 302 }))).toEqual({ status: 'down', error: 'HTTP 302, expected 200–299 (redirects are not followed)' });
  });
});

describe('probeSettings', () => {
  it('lays a registration check over the defaults', () => {
    expect(probeSettings(null, { maxLatencyMs: 100 }, 5000)).toEqual({ conditions: { maxLatencyMs: 100 }, timeoutMs: 5000 });
    expect(probeSettings({ status: '200-399', max_latency_ms: 300, timeout_ms: 800, body_path: 'a.b' }, { maxLatencyMs: 100 }, 5000)).toEqual({
      conditions: { statusRange: [200, 399], maxLatencyMs: 300, body: { path: 'a.b', ok: ['ok'] } },
      timeoutMs: 800,
    });
    expect(probeSettings({ status: '204' }, {}, 5000).conditions.statusRange).toEqual([204, 204]);
  });
});

describe('readJsonPath', () => {
  const doc = { status: 'ok', checks: { db: [{ state: 'up' }, { state: null }] }, 'has-dash': { $x: 0 } };
  it('reads dotted paths with indexes', () => {
    expect(readJsonPath(doc, 'status')).toEqual({ found: true, value: 'ok' });
    expect(readJsonPath(doc, 'checks.db[0].state')).toEqual({ found: true, value: 'up' });
    expect(readJsonPath(doc, 'checks.db.1.state')).toEqual({ found: true, value: null });
    expect(readJsonPath(doc, 'has-dash.$x')).toEqual({ found: true, value: 0 });
  });
  it('says when nothing is there', () => {
    expect(readJsonPath(doc, 'checks.db[2].state')).toEqual({ found: false });
    expect(readJsonPath(doc, 'status.length')).toEqual({ found: false });
    expect(readJsonPath(doc, 'toString')).toEqual({ found: false });
    expect(readJsonPath(null, 'a')).toEqual({ found: false });
    expect(readJsonPath('text', 'a')).toEqual({ found: false });
  });
});
