import { errorFields, uuidv7, type StoredDocument } from '@aetherlink/core';
import { casUpdate, writeIfChanged } from './_internal/cas.js';
import type { EngineContext } from './_internal/context.js';
import { mapLimit } from './_internal/pool.js';
import { evaluate, type Effect } from './evaluate.js';
import { finish, runHeal } from './heal.js';
import { planRound } from './plan.js';
import { iso, within } from './rules.js';
import { DEFAULT_SETTINGS, EMPTY_ENGINE, ENGINE_ID, newServiceState, SETTINGS_ID, type OperatorWindow, type ServiceState } from './state.js';
import { dependencyOrder, mergeTargets, registryTarget } from './targets.js';
import { dryRunAdvance, holdBack, startHeal } from './transitions.js';
import type { Observation, ResolvedTarget, RoundReport } from './types.js';
import { vetoOf } from './veto.js';

interface Judged {
  target: ResolvedTarget;
  read: StoredDocument<ServiceState> | null;
  obs: Observation;
  next: ServiceState;
  effects: Effect[];
  /** Some dependency of it is down this round. */
  downstream: boolean;
}

/**
 * One round: resolve the targets, run every check, evaluate each service in dependency order, plan the due
 * restarts under the fleet guard and the caps, then write and act. Nothing is written once `signal` aborts.
 * @example const report = await runRound(engine, signal)
 */
export async function runRound(e: EngineContext, signal: AbortSignal): Promise<RoundReport> {
  const { policy, clock } = e;
  const startedAt = clock.now();
  const t0 = performance.now();
  const targets = await roundTargets(e);
  e.targets = targets;
  const [docs, windows, settings, engine] = await Promise.all([
    e.cols.services.list(),
    e.cols.windows.list(),
    e.cols.settings.get(SETTINGS_ID),
    e.cols.engine.get(ENGINE_ID),
  ]);
  const read = new Map(docs.map((d) => [d.id, d]));
  const byName = new Map(targets.map((t) => [t.name, t]));
  const index = new Map(targets.map((t, i) => [t.name, i]));
  const observed = await mapLimit(targets, policy.checkConcurrency, async (t) => (e.local.has(t.name) ? null : e.runner.observe(t, signal)));
  const report: RoundReport = { at: iso(startedAt), duration_ms: 0, targets: targets.length, failing: 0, restarted: [], held: [], fleet_guard: false };
  if (signal.aborted) return report;

  const now = clock.now();
  const dryRun = policy.dryRun || (settings?.data ?? DEFAULT_SETTINGS).dry_run;
  const { order } = dependencyOrder(targets);
  const rank = new Map(order.map((name, i) => [name, i]));
  const judged = new Map<string, Judged>();
  targets.forEach((t, i) => observed[i] && e.observations.set(t.name, observed[i]!));
  for (const name of order) {
    const target = byName.get(name)!;
    const obs = observed[index.get(name)!];
    if (!obs) continue;
    const doc = read.get(name) ?? null;
    const prev = doc?.data ?? newServiceState(target, now);
    const maintenance = inForce(windows, name, 'maintenance', now) ?? (target.registryMaintenance ? registryWindow(now) : null);
    const dependenciesDown = target.dependsOn.filter((d) => isDown(judged.get(d)?.next ?? read.get(d)?.data));
    const { state, effects } = evaluate(prev, obs, {
      now, target, policy, maintenance, silence: inForce(windows, name, 'silence', now), dependenciesDown, dryRun,
      hasRuntime: e.runtime !== null, healLocal: false,
    });
    judged.set(name, { target, read: doc, obs, next: state, effects, downstream: dependenciesDown.length > 0 });
  }

  const fleet = [...judged.values()].filter((j) => !j.next.in_maintenance);
  // A dependency's symptoms, and services known broken (quarantined, stopped by a person), are no fleet-wide sign:
  // counted, a few long-broken services would hold every heal.
  const failingNow = fleet.filter((j) => j.obs.liveness === 'fail' && !j.downstream && !j.next.quarantine && j.read?.data.state !== 'stopped');
  report.failing = failingNow.length;
  const inFlight = [...judged.values()].filter((j) => j.next.heal).length + [...e.local.keys()].filter((n) => !judged.has(n)).length;
  const due = [...judged.values()].filter((j) => j.effects.some((x) => x.type === 'restart_due'));
  const engineData = engine?.data ?? EMPTY_ENGINE;
  const plan = planRound({
    now, policy, fleet: fleet.length, failing: report.failing, inFlight, recentRestarts: engineData.recent_restarts,
    due: due.map((j) => ({ service: j.target.name, order: rank.get(j.target.name)!, failingSince: j.next.failing_since })),
  });
  report.fleet_guard = plan.fleetGuard;
  for (const h of plan.held) {
    const j = judged.get(h.service)!;
    j.next = holdBack(j.next, h.reason, h.message, now, false).state;
    report.held.push({ service: h.service, reason: h.reason });
  }

  // Write every state that changed; effects and restarts follow only the writes that landed.
  const starts = new Set(plan.start);
  await mapLimit([...judged.values()], 16, async (j) => {
    if (signal.aborted || starts.has(j.target.name)) return;
    if (j.effects.some((x) => x.type === 'skip' && x.reason === 'dry_run')) j.next = dryRunAdvance(j.next, now, policy, e.random);
    const written = await writeIfChanged(e.cols.services, j.target.name, j.read, j.next).catch((error: unknown) => {
      e.log.error({ service: j.target.name, err: errorFields(error) }, 'could not store the auto-heal state');
      return null;
    });
    if (written) await applyEffects(e, j, now);
  });
  for (const name of plan.start) {
    if (signal.aborted) break;
    const held = await startOne(e, judged.get(name)!, now, signal);
    if (held === null) report.restarted.push(name);
    else report.held.push({ service: name, reason: held });
  }
  if (signal.aborted) return report;
  await retire(e, docs, byName);
  report.duration_ms = Math.round((performance.now() - t0) * 100) / 100;
  await casUpdate(e.cols.engine, ENGINE_ID, (d) => {
    const data = d ?? EMPTY_ENGINE;
    const guard = plan.fleetGuard ? (data.fleet_guard ?? { since: iso(now), failing: report.failing, fleet: fleet.length }) : null;
    return { last_round_at: iso(startedAt), last_round_ms: report.duration_ms, recent_restarts: [...within(data.recent_restarts, now, 60_000), ...report.restarted.map(() => iso(now))], fleet_guard: guard };
  });
  if (plan.fleetGuard && !engineData.fleet_guard) {
    await e.emit('autoheal.skipped', {
      service: '*', reason: 'fleet_guard', message: plan.held[0]?.message ?? 'the fleet guard holds every restart', failing: report.failing, fleet: fleet.length,
      services: failingNow.map((j) => j.target.name).slice(0, 100),
    });
  }
  e.hooks.round?.(report);
  return report;
}

/** Starts one heal unless the runtime vetoes it; resolves with why it was held, or null once it runs. */
async function startOne(e: EngineContext, j: Judged, now: number, signal: AbortSignal): Promise<string | null> {
  const veto = await vetoOf(e.runtime!, j.target, signal);
  if (veto) {
    const held = holdBack(j.next, veto.reason, veto.message, now, veto.record);
    const written = await writeIfChanged(e.cols.services, j.target.name, j.read, held.state);
    if (written) {
      await applyEffects(e, { ...j, effects: j.effects.filter((x) => x.type !== 'restart_due') }, now);
      if (held.record) await recordSkip(e, j, { type: 'skip', reason: veto.reason, message: veto.message, attempt: null, delay_ms: null }, now);
    }
    return veto.reason;
  }
  const due = j.effects.find((x) => x.type === 'restart_due')!;
  const id = uuidv7(now);
  const next = startHeal(j.next, due, id, now, j.target, e.policy);
  if (!(await writeIfChanged(e.cols.services, j.target.name, j.read, next))) return 'conflict';
  await applyEffects(e, { ...j, effects: j.effects.filter((x) => x.type !== 'restart_due') }, now);
  e.log.info({ service: j.target.name, runtime_id: j.target.runtimeId, attempt: due.attempt, heal_id: id }, `restarting ${j.target.name} (attempt ${due.attempt}): ${due.message}`);
  await e.emit('autoheal.attempted', { service: j.target.name, reason: 'threshold_reached', message: due.message, attempt: due.attempt, delay_ms: due.delay_ms, heal_id: id });
  const task = runHeal(e, j.target, id, signal)
    .catch((error: unknown) => e.log.error({ service: j.target.name, err: errorFields(error) }, 'a heal ended unexpectedly'))
    .finally(() => e.local.delete(j.target.name));
  e.local.set(j.target.name, task);
  return null;
}

async function applyEffects(e: EngineContext, j: Judged, now: number): Promise<void> {
  const name = j.target.name;
  for (const effect of j.effects) {
    if (effect.type === 'skip') await recordSkip(e, j, effect, now);
    else if (effect.type === 'quarantined') {
      await e.emit('autoheal.quarantined', { service: name, reason: effect.reason, restarts: effect.restarts, window_seconds: e.policy.budget.windowMs / 1000, message: effect.message });
    } else if (effect.type === 'released') await e.emit('autoheal.released', { service: name, by: effect.by });
    else if (effect.type === 'heal_finished') await finish(e, j.target, j.next.heal!.id, effect.outcome, effect.error);
  }
}

async function recordSkip(e: EngineContext, j: Judged, effect: Extract<Effect, { type: 'skip' }>, now: number): Promise<void> {
  const f = j.obs.failure;
  await e.record({
    id: uuidv7(now), ts: iso(now), service: j.target.name, action: 'restart', outcome: 'skipped', reason: effect.reason, message: effect.message,
    probe: f ? { check: f.name, status_code: f.status_code, latency_ms: f.latency_ms, error: f.error } : null,
    attempt: effect.attempt, delay_ms: effect.delay_ms, detected_at: j.next.failing_since, started_at: null, duration_ms: null, error: null,
  });
  await e.emit('autoheal.skipped', { service: j.target.name, reason: effect.reason, message: effect.message, ...(effect.attempt !== null ? { attempt: effect.attempt } : {}) });
}

/** Registered services join the configured targets; when the registry cannot be read, its last answer stands. */
async function roundTargets(e: EngineContext): Promise<ResolvedTarget[]> {
  if (e.registry) {
    try {
      e.registered = (await e.registry.list()).map((s) => registryTarget(s, e.policy));
    } catch (error) {
      e.log.warn({ err: errorFields(error) }, 'could not read the registry; its services from the last round stay targets');
    }
  }
  return mergeTargets(e.configured, e.registered);
}

/** Services that are no longer targets are marked so (their budgets and backoff stay, should they come back). */
async function retire(e: EngineContext, docs: StoredDocument<ServiceState>[], targets: Map<string, ResolvedTarget>): Promise<void> {
  for (const d of docs) {
    if (d.data.active && !targets.has(d.id)) await writeIfChanged(e.cols.services, d.id, d, { ...d.data, active: false });
  }
}

function inForce(windows: StoredDocument<OperatorWindow>[], service: string, kind: OperatorWindow['kind'], now: number): OperatorWindow | null {
  const w = windows.find((d) => (d.data.service === service || d.data.service === '*') && d.data.kind === kind && Date.parse(d.data.starts_at) <= now && (d.data.ends_at === null || now < Date.parse(d.data.ends_at)));
  return w?.data ?? null;
}

const registryWindow = (now: number): OperatorWindow => ({ service: '*', kind: 'maintenance', starts_at: iso(now), ends_at: null, by: 'the registry', reason: 'the service is in maintenance in the registry', created_at: iso(now) });

/** A dependency is down while its liveness fails, a heal of it runs, or a person stopped it. */
const isDown = (s: ServiceState | undefined) => !!s && (s.heal !== null || s.status === 'down' || s.state === 'stopped');
