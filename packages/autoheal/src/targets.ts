import { AetherError, fieldErrorsFromZod } from '@aetherlink/core';
import { DEFAULT_CONDITIONS, probeSettings, type ServiceView } from '@aetherlink/registry';
import { targetInputSchema } from './schemas.js';
import type { CheckSpec, HealPolicy, HealTarget, ResolvedCheck, ResolvedTarget } from './types.js';

/**
 * Configured targets, checked and with the policy's defaults applied: a bad one is `config_invalid` naming the
 * field (`targets.1.checks.0.url`); so are two targets of one name, a target depending on itself, a cycle of
 * dependencies, and a runtime check without a runtime.
 * @example const targets = resolveTargets([{ name: 'api', checks: [{ kind: 'http', url: 'http://api:8080/ping' }] }], policy, true)
 */
export function resolveTargets(input: readonly HealTarget[], policy: HealPolicy, hasRuntime: boolean): ResolvedTarget[] {
  const errors: { field: string; message: string }[] = [];
  const out: ResolvedTarget[] = [];
  const seen = new Set<string>();
  input.forEach((raw, i) => {
    const at = `targets.${i}`;
    const name = (raw as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && seen.has(name)) errors.push({ field: `${at}.name`, message: `"${name}" is named twice` });
    if (typeof name === 'string') seen.add(name);
    const parsed = targetInputSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...fieldErrorsFromZod(parsed.error, { prefix: at }));
      return;
    }
    const t = parsed.data as HealTarget;
    if (t.dependsOn?.includes(t.name)) errors.push({ field: `${at}.dependsOn`, message: 'a service cannot depend on itself' });
    const checks = resolveChecks(t.checks?.length ? t.checks : [{ kind: 'runtime' }], policy);
    const names = new Set<string>();
    checks.forEach((c, j) => {
      if (names.has(c.name)) errors.push({ field: `${at}.checks.${j}.name`, message: `"${c.name}" is used by another check of this target` });
      names.add(c.name);
      if (c.kind === 'runtime' && !hasRuntime) {
        errors.push({ field: `${at}.checks.${j}`, message: 'a runtime check needs a runtime; give the target an HTTP, TCP or custom check' });
      }
    });
    out.push({
      name: t.name,
      runtimeId: t.runtimeId ?? t.name,
      checks,
      dependsOn: [...new Set(t.dependsOn ?? [])],
      source: 'configured',
      failureThreshold: t.failureThreshold ?? policy.failureThreshold,
      successThreshold: t.successThreshold ?? policy.successThreshold,
      startGraceMs: t.startGraceMs ?? policy.startGraceMs,
      stopTimeoutMs: t.stopTimeoutMs ?? policy.stopTimeoutMs,
      registryMaintenance: false,
    });
  });
  const { cycles } = dependencyOrder(out);
  for (const cycle of cycles) errors.push({ field: 'targets', message: `dependsOn forms a cycle: ${[...cycle, cycle[0]].join(' → ')}` });
  if (errors.length) {
    throw new AetherError('config_invalid', `the auto-heal targets are invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
  }
  return out;
}

function resolveChecks(checks: readonly CheckSpec[], policy: HealPolicy): ResolvedCheck[] {
  return checks.map((c) => ({ ...c, name: c.name ?? c.kind, role: c.role ?? 'liveness', timeoutMs: c.timeoutMs ?? policy.checkTimeoutMs }) as ResolvedCheck);
}

/**
 * A registered service as a target: its health URL becomes an HTTP liveness check judged by its registration's
 * check (status range and body path; a slow answer stays the registry's "degraded", not a failure).
 * @example registryTarget(await registry.get('billing'), policy)
 */
export function registryTarget(service: ServiceView, policy: HealPolicy): ResolvedTarget {
  const { conditions, timeoutMs } = probeSettings(service.check, DEFAULT_CONDITIONS, policy.checkTimeoutMs);
  return {
    name: service.name,
    runtimeId: service.name,
    checks: [
      {
        kind: 'http',
        name: 'http',
        role: 'liveness',
        url: service.health_url,
        timeoutMs,
        ...(conditions.statusRange ? { statusRange: conditions.statusRange } : {}),
        ...(conditions.body ? { body: conditions.body } : {}),
      },
    ],
    dependsOn: [],
    source: 'registry',
    failureThreshold: policy.failureThreshold,
    successThreshold: policy.successThreshold,
    startGraceMs: policy.startGraceMs,
    stopTimeoutMs: policy.stopTimeoutMs,
    registryMaintenance: service.status === 'maintenance',
  };
}

/**
 * Configured targets over registered ones (the seed's merge): a configured target keeps its own checks and
 * settings and is marked `both` when the registry holds it too; registered services alone join as `registry`.
 * @example mergeTargets(configured, registered.map((s) => registryTarget(s, policy)))
 */
export function mergeTargets(configured: readonly ResolvedTarget[], registered: readonly ResolvedTarget[]): ResolvedTarget[] {
  const fromRegistry = new Map(registered.map((t) => [t.name, t]));
  const merged = configured.map((t) => {
    const r = fromRegistry.get(t.name);
    return r ? { ...t, source: 'both' as const, registryMaintenance: r.registryMaintenance } : t;
  });
  const names = new Set(configured.map((t) => t.name));
  for (const t of registered) if (!names.has(t.name)) merged.push(t);
  return merged;
}

/**
 * Targets in dependency order (a service after what it depends on; dependencies that are not targets are
 * ignored), and any cycles, whose members come last in name order.
 * @example dependencyOrder(targets).order // ['db', 'api', 'web']
 */
export function dependencyOrder(targets: readonly Pick<ResolvedTarget, 'name' | 'dependsOn'>[]): { order: string[]; cycles: string[][] } {
  const names = new Set(targets.map((t) => t.name));
  const deps = new Map(targets.map((t) => [t.name, t.dependsOn.filter((d) => d !== t.name && names.has(d))]));
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];
  const visit = (name: string, path: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      cycles.push(path.slice(path.indexOf(name)));
      return;
    }
    state.set(name, 'visiting');
    for (const d of deps.get(name) ?? []) visit(d, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...names].sort()) visit(name, []);
  return { order, cycles };
}
