import { connect } from 'node:net';
import { isAetherError, type Clock, type EgressPolicy } from '@aetherlink/core';
import type { CheckOutcome, ResolvedCheck, TcpCheck } from '../types.js';

/**
 * Opens a TCP connection through the egress policy (the name looked up through it, the connected address judged)
 * and closes it at once; passing means it connected within the deadline.
 * @example await runTcpCheck({ kind: 'tcp', name: 'tcp', role: 'liveness', host: 'db', port: 5432, timeoutMs: 2000 }, { egress, clock })
 */
export function runTcpCheck(check: ResolvedCheck & TcpCheck, ctx: { egress: EgressPolicy; clock: Clock; signal?: AbortSignal }): Promise<CheckOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const outcome = (pass: boolean, error: string | null): CheckOutcome => ({
    name: check.name, kind: 'tcp', role: check.role, verdict: pass ? 'pass' : 'fail', health: pass ? 'ok' : 'down', status_code: null, latency_ms: pass ? elapsed() : null, error,
  });
  return new Promise((resolve) => {
    const socket = ctx.egress.guardSocket(connect({ host: check.host, port: check.port, lookup: ctx.egress.lookup }), check.host);
    let done = false;
    const finish = (result: CheckOutcome) => {
      if (done) return;
      done = true;
      ctx.clock.clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish(outcome(false, 'the check was cancelled'));
    const timer = ctx.clock.setTimeout(() => finish(outcome(false, `no connection within ${check.timeoutMs} ms`)), check.timeoutMs);
    // A real-time backstop beside the clock's deadline, which a manual clock in tests may never reach.
    socket.setTimeout(check.timeoutMs, () => finish(outcome(false, `no connection within ${check.timeoutMs} ms`)));
    if (ctx.signal?.aborted) return onAbort();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    // A socket the policy destroyed on connect reports why through 'error', right after.
    socket.once('connect', () => socket.destroyed || finish(outcome(true, null)));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const message = isAetherError(error) ? error.message : error.code === 'ECONNREFUSED' ? 'connection refused' : error.code === 'ENOTFOUND' ? 'host not found' : error.message;
      finish(outcome(false, message));
    });
  });
}
