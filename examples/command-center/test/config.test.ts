import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, retentionPolicyOf } from '../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 8010, HOST: '127.0.0.1', AUTH_MODE: 'header', AUDIT_LOG: 'stdout', LOG_LEVEL: 'info' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', AUTH_MODE: '' }).PORT).toBe(8010);
  });

  it('names every bad variable at once, with the value it got', () => {
    const problems = problemsOf({ PORT: '70000', LOG_LEVEL: 'loud', EVENTS_STRICT: 'perhaps' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['EVENTS_STRICT', 'LOG_LEVEL', 'PORT']);
    expect(problems.find((p) => p.variable === 'PORT')!.message).toMatch(/65535.*"70000"/);
  });

  it('requires the JWT variables in jwt mode, alongside other problems', () => {
    const problems = problemsOf({ AUTH_MODE: 'jwt', JWT_ISSUER: 'https://sso', JWT_JWKS_URL: 'ftp://nope', PORT: 'x' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['JWT_AUDIENCE', 'JWT_JWKS_URL', 'PORT', 'SELF_REGISTER_TOKEN']);
    const selfOff = problemsOf({ AUTH_MODE: 'jwt', SELF_REGISTER: 'false' });
    expect(selfOff.map((p) => p.variable).sort()).toEqual(['JWT_AUDIENCE', 'JWT_ISSUER', 'JWT_JWKS_URL']);
  });

  it('reads the retention policy, defaults from core, 0 meaning no limit, bad values named', () => {
    const DAY = 86_400_000;
    expect(retentionPolicyOf(loadConfig({}))).toEqual({
      events: { maxAgeMs: 30 * DAY, maxCount: 1_000_000 },
      audit: { maxAgeMs: 30 * DAY, maxCount: 1_000_000 },
      heal: { maxAgeMs: 90 * DAY, maxCount: 100_000 },
      deliveries: { maxAgeMs: 14 * DAY, maxCount: 100_000 },
    });
    const config = loadConfig({ RETENTION_EVENTS_DAYS: '7', RETENTION_EVENTS_MAX: '0', RETENTION_INTERVAL_SECONDS: '5', RETENTION_BATCH: '200' });
    expect(retentionPolicyOf(config).events).toEqual({ maxAgeMs: 7 * DAY, maxCount: 0 });
    expect([config.RETENTION_INTERVAL_SECONDS, config.RETENTION_BATCH]).toEqual([5, 200]);
    const problems = problemsOf({ RETENTION_AUDIT_DAYS: '-1', RETENTION_HEAL_MAX: '1.5', RETENTION_BATCH: 'lots' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['RETENTION_AUDIT_DAYS', 'RETENTION_BATCH', 'RETENTION_HEAL_MAX']);
  });

  it('reads booleans strictly', () => {
    expect(loadConfig({ EVENTS_STRICT: 'yes' }).EVENTS_STRICT).toBe(true);
    expect(loadConfig({ EVENTS_STRICT: 'false' }).EVENTS_STRICT).toBe(false);
  });

  it('reads the probe egress lists, naming the variable and the bad entry', () => {
    const config = loadConfig({ REGISTRY_PROBE_ALLOW: ' 10.1.0.0/16 , hooks.internal,', REGISTRY_PROBE_DENY: '*.corp.example,fd00::/8', REGISTRY_PROBE_ALLOW_PRIVATE: 'false' });
    expect(config).toMatchObject({ REGISTRY_PROBE_ALLOW: ['10.1.0.0/16', 'hooks.internal'], REGISTRY_PROBE_DENY: ['*.corp.example', 'fd00::/8'], REGISTRY_PROBE_ALLOW_PRIVATE: false });
    expect(loadConfig({})).toMatchObject({ REGISTRY_PROBE_ALLOW: [], REGISTRY_PROBE_DENY: [] });
    const problems = problemsOf({ REGISTRY_PROBE_ALLOW: '10.0.0.0/8,10.0.0.0/40', REGISTRY_PROBE_DENY: 'not a host' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['REGISTRY_PROBE_ALLOW', 'REGISTRY_PROBE_DENY']);
    expect(problems.find((p) => p.variable === 'REGISTRY_PROBE_ALLOW')!.message).toMatch(/^"10.0.0.0\/40" is not an IP address or CIDR range.*\(got "10.0.0.0\/8,10.0.0.0\/40"\)$/);
    expect(problems.find((p) => p.variable === 'REGISTRY_PROBE_DENY')!.message).toMatch(/^"not a host" is not a host name/);
  });
});
