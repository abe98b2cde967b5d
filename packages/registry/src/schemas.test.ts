import { isAetherError, type AetherError } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { createHeartbeatSchema, createRegistrationSchema, DEFAULT_LIMITS, defaultHealthUrl, parseOrThrow, registrationSchema } from './schemas.js';

const fieldsOf = (input: unknown, schema = registrationSchema) => {
  try {
    parseOrThrow(schema, input, 'the registration is invalid');
  } catch (error) {
    expect(isAetherError(error)).toBe(true);
    expect((error as AetherError).code).toBe('validation_failed');
    return (error as AetherError).errors!.map((e) => e.field).sort();
  }
  throw new Error('expected a validation error');
};

describe('registration schema', () => {
  it('accepts the seed body and fills health_url with url + /ping', () => {
    const r = registrationSchema.parse({ name: 'aether-ai-orchestrator', url: 'http://aether-ai-orchestrator:8011', version: 'v1.10.0', roles_required: ['agent', 'operator'], tags: ['ai', 'routing'] });
    expect(r).toEqual({
      name: 'aether-ai-orchestrator',
      url: 'http://aether-ai-orchestrator:8011',
      health_url: 'http://aether-ai-orchestrator:8011/ping',
      version: 'v1.10.0',
      roles_required: ['agent', 'operator'],
      tags: ['ai', 'routing'],
      meta: {},
      ttl_seconds: null,
      check: null,
    });
  });

  it('keeps an explicit health_url, de-duplicates tags and roles, and is idempotent', () => {
    const once = registrationSchema.parse({ name: 'a', url: 'https://a.example/', health_url: 'https://a.example/healthz', tags: ['x', 'x', 'y'], roles_required: ['op', 'op'] });
    expect(once).toMatchObject({ health_url: 'https://a.example/healthz', tags: ['x', 'y'], roles_required: ['op'] });
    expect(registrationSchema.parse(once)).toEqual(once);
  });

  it('builds the default health URL on the path, without query or trailing slashes', () => {
    expect(defaultHealthUrl('http://api:8080/')).toBe('http://api:8080/ping');
    expect(defaultHealthUrl('http://api:8080/base//?x=1#y')).toBe('http://api:8080/base/ping');
  });

  it('names every bad field at once', () => {
    expect(
      fieldsOf({ name: '-bad name', url: 'ftp://x', health_url: 'not a url', version: '', tags: ['has space'], roles_required: 'admin', ttl_seconds: 1, extra: true }),
    ).toEqual(['extra', 'health_url', 'name', 'roles_required', 'tags.0', 'ttl_seconds', 'url', 'version']);
    expect(fieldsOf({})).toEqual(['name', 'url']);
  });

  it('rejects credentials in URLs, since registrations are readable by every operator', () => {
    expect(fieldsOf({ name: 'a', url: 'http://user:secret@a:1' })).toEqual(['url']);
  });

  it('bounds tags, roles and meta in count and size', () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    expect(fieldsOf({ name: 'a', url: 'http://a', tags: many(DEFAULT_LIMITS.maxTags + 1, (i) => `t${i}`) })).toEqual(['tags']);
    expect(fieldsOf({ name: 'a', url: 'http://a', tags: ['x'.repeat(DEFAULT_LIMITS.maxTagLength + 1)] })).toEqual(['tags.0']);
    expect(fieldsOf({ name: 'a', url: 'http://a', roles_required: many(DEFAULT_LIMITS.maxRoles + 1, (i) => `r${i}`) })).toEqual(['roles_required']);
    const meta = Object.fromEntries(many(DEFAULT_LIMITS.maxMetaEntries + 1, (i) => `k${i}`).map((k) => [k, 'v']));
    expect(fieldsOf({ name: 'a', url: 'http://a', meta })).toEqual(['meta']);
    expect(fieldsOf({ name: 'a', url: 'http://a', meta: { k: 'v'.repeat(DEFAULT_LIMITS.maxMetaValueLength + 1) } })).toEqual(['meta.k']);
    expect(fieldsOf({ name: 'a', url: 'http://a', meta: { 'aetherlink.ttl_seconds': '5' } })).toEqual(['meta.aetherlink.ttl_seconds']);
  });

  it('applies custom limits', () => {
    const schema = createRegistrationSchema({ ...DEFAULT_LIMITS, maxTags: 1, minTtlSeconds: 60 });
    expect(fieldsOf({ name: 'a', url: 'http://a', tags: ['a', 'b'], ttl_seconds: 30 }, schema)).toEqual(['tags', 'ttl_seconds']);
  });

  it('validates service names for paths and events', () => {
    for (const ok of ['a', 'billing', 'Billing-API_2', 'a.b.c', 'x'.repeat(100)]) expect(() => registrationSchema.parse({ name: ok, url: 'http://a' })).not.toThrow();
    for (const bad of ['', '-a', 'a-', 'a/b', 'a b', 'x'.repeat(101), 'é']) expect(fieldsOf({ name: bad, url: 'http://a' })).toEqual(['name']);
  });

  it('validates check settings', () => {
    const ok = registrationSchema.parse({ name: 'a', url: 'http://a', check: { status: '200-399', max_latency_ms: 500, body_path: 'checks.db[0].state', body_ok: ['up'], body_degraded: ['slow'] } });
    expect(ok.check).toMatchObject({ status: '200-399', body_path: 'checks.db[0].state' });
    expect(fieldsOf({ name: 'a', url: 'http://a', check: { status: '299-200' } })).toEqual(['check.status']);
    expect(fieldsOf({ name: 'a', url: 'http://a', check: { status: '2xx' } })).toEqual(['check.status']);
    expect(fieldsOf({ name: 'a', url: 'http://a', check: { body_ok: ['ok'] } })).toEqual(['check.body_path']);
    expect(fieldsOf({ name: 'a', url: 'http://a', check: { body_path: 'a..b', timeout_ms: 1 } })).toEqual(['check.body_path', 'check.timeout_ms']);
  });
});

describe('heartbeat schema', () => {
  it('takes no body, or a ttl within bounds', () => {
    const schema = createHeartbeatSchema();
    expect(schema.parse(undefined)).toEqual({});
    expect(schema.parse({ ttl_seconds: 30 })).toEqual({ ttl_seconds: 30 });
    expect(fieldsOf({ ttl_seconds: 0 }, schema as never)).toEqual(['ttl_seconds']);
  });
});
