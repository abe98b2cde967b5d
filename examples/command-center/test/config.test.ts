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

  it('reads the auto-heal variables as the seed wrote them: a JSON array of names and a JSON map of health URLs', () => {
    const config = loadConfig({
      AUTOHEAL_SERVICES: '["aether-crm-ui","aether-command-center","aether-ai-orchestrator"]',
      AUTOHEAL_HEALTH_ENDPOINTS: '{"aether-crm-ui":"http://aether-crm-ui/health.json","aether-command-center":"http://aether-command-center:8010/ops/ping"}',
      AUTOHEAL_INTERVAL_SECONDS: '15',
      AUTOHEAL_RUNTIME: 'docker',
    });
    expect(config).toMatchObject({ AUTOHEAL_INTERVAL_SECONDS: 15, AUTOHEAL_PULL_FROM_REGISTRY: true, AUTOHEAL_RUNTIME: 'docker' });
    expect(config.autoheal.targets.map((t) => [t.name, t.checks?.[0]])).toEqual([
      ['aether-crm-ui', expect.objectContaining({ kind: 'http', url: 'http://aether-crm-ui/health.json' })],
      ['aether-command-center', expect.objectContaining({ kind: 'http', url: 'http://aether-command-center:8010/ops/ping' })],
      // No health URL: the runtime's view of it is the check (without a runtime that is refused, see below).
      ['aether-ai-orchestrator', undefined],
    ]);
  });

  it('takes comma-separated forms and richer targets, and defaults to watching without a runtime', () => {
    const config = loadConfig({
      AUTOHEAL_SERVICES: '[{"name":"api","health_url":"http://api:8080/ping","depends_on":["db"],"check":{"status":"200-299","body_path":"status","body_ok":["ok"]}},"db"]',
      AUTOHEAL_HEALTH_ENDPOINTS: 'db=http://db:8081/ping, ui=http://ui/health.json',
      AUTOHEAL_PULL_FROM_REGISTRY: 'false',
    });
    expect(config.AUTOHEAL_RUNTIME).toBe('none');
    expect(config.AUTOHEAL_PULL_FROM_REGISTRY).toBe(false);
    expect(config.autoheal.targets.map((t) => [t.name, t.dependsOn ?? [], t.checks?.map((c) => (c as { url: string }).url)])).toEqual([
      ['api', ['db'], ['http://api:8080/ping']],
      ['db', [], ['http://db:8081/ping']],
      ['ui', [], ['http://ui/health.json']],
    ]);
    expect(loadConfig({ AUTOHEAL_SERVICES: 'a, b' , AUTOHEAL_RUNTIME: 'docker' }).autoheal.targets).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  it('names the auto-heal variable at fault, without echoing its value', () => {
    const problems = problemsOf({
      AUTOHEAL_SERVICES: '[{"name":"api","health_url":"http://u:secret@api/ping"}]',
      AUTOHEAL_HEALTH_ENDPOINTS: '{"db":"ftp://db"}',
      AUTOHEAL_RUNTIME: 'kubernetes',
      AUTOHEAL_INTERVAL_SECONDS: '0',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual(['AUTOHEAL_HEALTH_ENDPOINTS', 'AUTOHEAL_INTERVAL_SECONDS', 'AUTOHEAL_RUNTIME', 'AUTOHEAL_SERVICES']);
    expect(problems.find((p) => p.variable === 'AUTOHEAL_SERVICES')!.message).toMatch(/^0\.health_url: must not carry credentials \(value hidden\)$/);
    expect(JSON.stringify(problems)).not.toContain('secret');
    const noRuntime = problemsOf({ AUTOHEAL_SERVICES: 'api' });
    expect(noRuntime).toEqual([{ variable: 'AUTOHEAL_HEALTH_ENDPOINTS', message: expect.stringContaining('"api" has no health URL') }]);
    const cycle = problemsOf({ AUTOHEAL_SERVICES: '[{"name":"a","depends_on":["b"]},{"name":"b","depends_on":["a"]}]', AUTOHEAL_RUNTIME: 'docker' });
    expect(cycle).toEqual([{ variable: 'AUTOHEAL_SERVICES', message: 'dependsOn forms a cycle: a → b → a' }]);
  });

  it('reads the runtime settings: DOCKER_HOST for docker, AUTOHEAL_PROCESSES (required) for process', () => {
    expect(loadConfig({ AUTOHEAL_RUNTIME: 'docker', DOCKER_HOST: 'unix:///run/docker.sock' }).DOCKER_HOST).toEqual({ socketPath: '/run/docker.sock' });
    expect(loadConfig({ DOCKER_HOST: 'tcp://docker-proxy:2375' }).DOCKER_HOST).toEqual({ host: 'docker-proxy', port: 2375, protocol: 'http' });
    const processes = '{"orders":{"command":"node","args":["orders.js"],"env":{"PORT":"9001"}}}';
    expect(loadConfig({ AUTOHEAL_RUNTIME: 'process', AUTOHEAL_PROCESSES: processes }).AUTOHEAL_PROCESSES).toEqual({ orders: { command: 'node', args: ['orders.js'], env: { PORT: '9001' } } });
    expect(problemsOf({ AUTOHEAL_RUNTIME: 'process' })).toEqual([{ variable: 'AUTOHEAL_PROCESSES', message: expect.stringContaining('AUTOHEAL_RUNTIME=process') }]);
    const bad = problemsOf({ DOCKER_HOST: 'docker.sock', AUTOHEAL_PROCESSES: '{"orders":{"args":["x"],"env":{"API_KEY":"sk-secret"}}}' });
    expect(JSON.stringify(bad)).not.toContain('sk-secret');
    expect(bad.map((p) => p.variable).sort()).toEqual(['AUTOHEAL_PROCESSES', 'DOCKER_HOST']);
    expect(bad.find((p) => p.variable === 'AUTOHEAL_PROCESSES')!.message).toMatch(/^orders\.command:/);
  });
});
