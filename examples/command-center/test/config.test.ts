import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

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

  it('reads the alert webhooks, their secret, egress and schedule, naming the variable and never echoing a URL or secret', () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const config = loadConfig({
      ALERT_WEBHOOKS: 'https://hooks.slack.com/services/T0/B0/tok, alertmanager+http://am.internal:9093',
      ALERT_WEBHOOK_SECRET: secret,
      ALERT_WEBHOOK_ALLOW: '10.9.0.0/16',
      ALERT_WEBHOOK_RETRY_SCHEDULE: '1s, 2s,500ms',
    });
    expect(config).toMatchObject({
      ALERT_WEBHOOKS: ['https://hooks.slack.com/services/T0/B0/tok', 'alertmanager+http://am.internal:9093'],
      ALERT_WEBHOOK_SECRET: secret,
      ALERT_WEBHOOK_ALLOW: ['10.9.0.0/16'],
      ALERT_WEBHOOK_RETRY_SCHEDULE: [1000, 2000, 500],
      ALERT_WEBHOOK_TIMEOUT_MS: 10_000,
    });
    expect(loadConfig({})).toMatchObject({ ALERT_WEBHOOKS: [], ALERT_WEBHOOK_RETRY_SCHEDULE: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] });

    const bad = 'whsec_this-is-not-base64-but-secret';
    const problems = problemsOf({ ALERT_WEBHOOKS: 'https://ok.example/a,pager+https://x.example/tok-123', ALERT_WEBHOOK_SECRET: bad, ALERT_WEBHOOK_RETRY_SCHEDULE: '1s,later' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['ALERT_WEBHOOKS', 'ALERT_WEBHOOK_RETRY_SCHEDULE', 'ALERT_WEBHOOK_SECRET']);
    const text = JSON.stringify(problems);
    expect(text).not.toContain('this-is-not-base64');
    expect(text).not.toContain('tok-123');
    expect(problems.find((p) => p.variable === 'ALERT_WEBHOOKS')!.message).toMatch(/^entry 2 names an unknown channel "pager"/);
    expect(problems.find((p) => p.variable === 'ALERT_WEBHOOK_SECRET')!.message).toMatch(/whsec_ followed by base64.*\(value hidden\)/);
    expect(problems.find((p) => p.variable === 'ALERT_WEBHOOK_RETRY_SCHEDULE')!.message).toMatch(/"later" is not a delay/);
  });

  it('refuses a configured webhook on a private or loopback address unless allowed, by flag or allow list', () => {
    const problems = problemsOf({ ALERT_WEBHOOKS: 'https://hooks.slack.com/services/x,http://127.0.0.1:9000/tok-9' });
    expect(problems).toEqual([{ variable: 'ALERT_WEBHOOKS', message: expect.stringMatching(/^entry 2 may not be called: 127\.0\.0\.1 is a loopback address.*ALERT_WEBHOOK_ALLOW_PRIVATE=true/) }]);
    expect(JSON.stringify(problems)).not.toContain('tok-9');
    expect(loadConfig({ ALERT_WEBHOOKS: 'http://127.0.0.1:9000/x', ALERT_WEBHOOK_ALLOW_PRIVATE: 'true' }).ALERT_WEBHOOKS).toHaveLength(1);
    expect(loadConfig({ ALERT_WEBHOOKS: 'http://10.9.1.2/x', ALERT_WEBHOOK_ALLOW: '10.9.0.0/16' }).ALERT_WEBHOOKS).toHaveLength(1);
    expect(problemsOf({ ALERT_WEBHOOKS: 'http://169.254.169.254/x', ALERT_WEBHOOK_ALLOW_PRIVATE: 'true' })[0]!.message).toMatch(/always refused/);
  });
});
