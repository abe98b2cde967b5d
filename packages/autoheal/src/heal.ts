import { errorFields, sleep } from '@aetherlink/core';
import { casUpdate } from './_internal/cas.js';
import type { EngineContext } from './_internal/context.js';
import { finishHeal, markRestarted, verifyProbe } from './transitions.js';
import type { ResolvedTarget } from './types.js';

/**
 * One heal after its state was committed: restart through the runtime, then probe every `verifyIntervalMs` until
 * the checks pass (succeeded) or the verify window ends (failed). Stops writing the moment `signal` aborts
 * (leadership lost, shutdown): the next leader finishes the verification from the stored state.
 * @example e.local.set(name, runHeal(e, target, heal.id, signal))
 */
export async function runHeal(e: EngineContext, target: ResolvedTarget, id: string, signal: AbortSignal): Promise<void> {
  const { policy, clock } = e;
  try {
    await e.runtime!.restart(target.runtimeId, { stopTimeoutMs: target.stopTimeoutMs, abort: signal });
  } catch (error) {
    if (signal.aborted) return;
    e.log.warn({ service: target.name, err: errorFields(error) }, `restarting ${target.name} failed`);
    await finish(e, target, id, 'failed', `the restart failed: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (signal.aborted) return;
  if (!(await casUpdate(e.cols.services, target.name, (s) => s && markRestarted(s, id, clock.now(), policy)))) return;

  while (!signal.aborted) {
    try {
      await sleep(clock, policy.verifyIntervalMs, signal);
    } catch {
      return;
    }
    const obs = await e.runner.observe(target, signal);
    if (signal.aborted) return;
    e.observations.set(target.name, obs);
    let finished: { outcome: 'succeeded' | 'failed'; error: string | null } | null = null;
    const written = await casUpdate(e.cols.services, target.name, (s) => {
      const step = s && verifyProbe(s, id, obs, clock.now(), target);
      if (!step) return null;
      finished = step.finished ? { outcome: step.finished, error: step.error } : null;
      return step.finished ? null : step.state;
    });
    const done = finished as { outcome: 'succeeded' | 'failed'; error: string | null } | null;
    if (done) return finish(e, target, id, done.outcome, done.error);
    if (!written) return;
  }
}

/**
 * Ends a heal: its state (backoff from now), then its history record and event, once; whoever finishes it first
 * (this task, or a round of a new leader) writes them, the other finds the heal gone and does nothing.
 * @example await finish(e, target, heal.id, 'failed', 'the restart failed: exit 1')
 */
export async function finish(e: EngineContext, target: ResolvedTarget, id: string, outcome: 'succeeded' | 'failed', error: string | null): Promise<void> {
  let record: ReturnType<typeof finishHeal> = null;
  const now = e.clock.now();
  const written = await casUpdate(e.cols.services, target.name, (s) => {
    record = s && finishHeal(s, id, outcome, error, now, target, e.policy, e.random);
    return record?.state ?? null;
  });
  const done = record as ReturnType<typeof finishHeal>;
  if (!written || !done) return;
  await e.record(done.record);
  const r = done.record;
  const fields = { service: r.service, attempt: r.attempt, heal_id: r.id, duration_ms: r.duration_ms };
  if (outcome === 'succeeded') e.log.info(fields, `${r.service} is healed: ${r.message}`);
  else e.log.warn({ ...fields, error: r.error }, `${r.service} was not healed: ${r.error ?? 'unknown error'}`);
  if (outcome === 'succeeded') {
    await e.emit('autoheal.succeeded', { service: r.service, duration_ms: r.duration_ms, attempt: r.attempt, heal_id: r.id, message: r.message });
  } else {
    await e.emit('autoheal.failed', { service: r.service, error: r.error ?? 'unknown error', duration_ms: r.duration_ms, attempt: r.attempt, heal_id: r.id });
  }
}
