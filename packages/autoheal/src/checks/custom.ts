import type { Clock } from '@aetherlink/core';
import type { CheckOutcome, CustomCheck, ResolvedCheck } from '../types.js';

/**
 * Runs a custom check under its deadline: `true` or `{ ok: true }` passes, `{ draining: true }` is a service
 * shutting down, anything else (a throw, a timeout) fails with the reason.
 * @example await runCustomCheck({ kind: 'custom', name: 'queue', role: 'liveness', timeoutMs: 1000, run: async () => depth() < 1000 }, 'worker', { clock })
 */
export async function runCustomCheck(check: ResolvedCheck & CustomCheck, service: string, ctx: { clock: Clock; signal?: AbortSignal }): Promise<CheckOutcome> {
  const started = performance.now();
  const outcome = (verdict: CheckOutcome['verdict'], error: string | null): CheckOutcome => ({
    name: check.name, kind: 'custom', role: check.role, verdict, health: verdict === 'pass' ? 'ok' : verdict === 'fail' ? 'down' : verdict, status_code: null,
    latency_ms: Math.round((performance.now() - started) * 100) / 100, error,
  });
  const controller = new AbortController();
  const onAbort = () => controller.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: unknown;
  try {
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = ctx.clock.setTimeout(() => {
        controller.abort(new Error('deadline'));
        resolve('timeout');
      }, check.timeoutMs);
    });
    const answer = await Promise.race([Promise.resolve().then(() => check.run({ service, signal: controller.signal })), deadline]);
    if (answer === 'timeout') return outcome('fail', `no answer within ${check.timeoutMs} ms`);
    if (answer === true) return outcome('pass', null);
    if (answer === false) return outcome('fail', 'the check answered false');
    if (answer.draining) return outcome('draining', answer.error ?? 'the service is shutting down');
    return answer.ok ? outcome('pass', null) : outcome('fail', answer.error ?? 'the check answered not ok');
  } catch (error) {
    return outcome('fail', error instanceof Error ? error.message : String(error));
  } finally {
    ctx.clock.clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}
