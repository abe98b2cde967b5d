import { describe, expect, it } from 'vitest';
import { resolvePolicy } from './policy.js';
import { healTargetConfigSchema, toHealTarget } from './schemas.js';
import { dependencyOrder, mergeTargets, registryTarget, resolveTargets } from './targets.js';
import type { ServiceView } from '@aetherlink/registry';

const policy = resolvePolicy({ checkTimeoutMs: 2000 });

const view = (name: string, extra: Partial<ServiceView> = {}): ServiceView => ({
  name, url: `http://${name}:80`, health_url: `http://${name}:80/ping`, version: null, roles_required: [], tags: [], last_seen: '', status: 'ok',
  status_since: '', registered_at: '', ttl_seconds: null, lease_expires_at: null, meta: {}, check: null, last_check: null, ...extra,
});

describe('targets', () => {
  it('applies defaults: the runtime id is the name, a runtime check without others, the policy numbers', () => {
    const [t] = resolveTargets([{ name: 'api' }], policy, true);
    expect(t).toMatchObject({ name: 'api', runtimeId: 'api', source: 'configured', failureThreshold: 3, checks: [{ kind: 'runtime', name: 'runtime', role: 'liveness', timeoutMs: 2000 }] });
  });

  it('names every bad field of a target', () => {
    expect(() =>
      resolveTargets(
        [
          { name: 'api', checks: [{ kind: 'http', url: 'http://user:pw@api/ping' }] },
          { name: 'bad name!', checks: [{ kind: 'tcp', host: 'db', port: 70000 }] },
          { name: 'api' },
          { name: 'x', checks: [{ kind: 'runtime' }], dependsOn: ['x'] },
        ],
        policy,
        false,
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'config_invalid',
        errors: expect.arrayContaining([
          expect.objectContaining({ field: 'targets.0.checks.0.url', message: 'must not carry credentials' }),
          expect.objectContaining({ field: 'targets.1.name' }),
          expect.objectContaining({ field: 'targets.1.checks.0.port', message: expect.stringContaining('65535') }),
          expect.objectContaining({ field: 'targets.2.name', message: '"api" is named twice' }),
          expect.objectContaining({ field: 'targets.3.dependsOn' }),
          expect.objectContaining({ field: 'targets.3.checks.0', message: expect.stringContaining('needs a runtime') }),
        ]),
      }),
    );
  });

  it('turns a registered service into an HTTP liveness target judged by its registration check', () => {
    const t = registryTarget(view('billing', { check: { status: '200-399', body_path: 'status', body_ok: ['ok'], timeout_ms: 800 }, status: 'maintenance' }), policy);
    expect(t).toMatchObject({
      name: 'billing', source: 'registry', registryMaintenance: true,
      checks: [{ kind: 'http', url: 'http://billing:80/ping', statusRange: [200, 399], body: { path: 'status', ok: ['ok'] }, timeoutMs: 800, role: 'liveness' }],
    });
  });

  it('merges configured over registered targets and says where each came from', () => {
    const configured = resolveTargets([{ name: 'api', checks: [{ kind: 'tcp', host: 'api', port: 80 }] }, { name: 'ui', checks: [{ kind: 'runtime' }] }], policy, true);
    const merged = mergeTargets(configured, [registryTarget(view('api'), policy), registryTarget(view('ai'), policy)]);
    expect(merged.map((t) => [t.name, t.source, t.checks[0]!.kind])).toEqual([['api', 'both', 'tcp'], ['ui', 'configured', 'runtime'], ['ai', 'registry', 'http']]);
  });

  it('orders dependencies first and finds cycles', () => {
    expect(dependencyOrder([{ name: 'web', dependsOn: ['api'] }, { name: 'api', dependsOn: ['db', 'unknown'] }, { name: 'db', dependsOn: [] }]).order).toEqual(['db', 'api', 'web']);
    expect(dependencyOrder([{ name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] }]).cycles).toEqual([['a', 'b']]);
  });
});

describe('configured targets (JSON, snake_case)', () => {
  it('maps health_url, readiness_url and tcp to checks, with the registry check fields', () => {
    const t = toHealTarget(
      healTargetConfigSchema.parse({
        name: 'api', runtime_id: 'api-1', health_url: 'http://api:8080/ping', readiness_url: 'http://api:8080/ready', tcp: 'api:8080',
        check: { status: '200-299', max_latency_ms: 300, body_path: 'status', body_ok: ['ok'], timeout_ms: 900 }, depends_on: ['db'], start_grace_seconds: 20,
      }),
    );
    expect(t).toEqual({
      name: 'api', runtimeId: 'api-1', dependsOn: ['db'], startGraceMs: 20_000,
      checks: [
        { kind: 'http', name: 'http', role: 'liveness', url: 'http://api:8080/ping', statusRange: [200, 299], maxLatencyMs: 300, body: { path: 'status', ok: ['ok'] }, timeoutMs: 900 },
        { kind: 'http', name: 'ready', role: 'readiness', url: 'http://api:8080/ready', statusRange: [200, 299], maxLatencyMs: 300, body: { path: 'status', ok: ['ok'] }, timeoutMs: 900 },
        { kind: 'tcp', name: 'tcp', host: 'api', port: 8080 },
      ],
    });
    expect(toHealTarget(healTargetConfigSchema.parse({ name: 'ui' }))).toEqual({ name: 'ui' });
  });

  it('refuses unknown fields and bad addresses, naming them', () => {
    const r = healTargetConfigSchema.safeParse({ name: 'api', tcp: 'api', health: 'x' });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.') || (i as { keys?: string[] }).keys?.join())).toEqual(expect.arrayContaining(['tcp', 'health']));
  });
});
