import { loggerFor, systemClock } from '@aetherlink/core';
import pRetry, { AbortError } from 'p-retry';
import { Agent } from 'undici';
import { sendJson, type JsonAnswer } from './_internal/http.js';
import { createRegistrationSchema, httpUrlSchema, parseOrThrow } from './schemas.js';
import type { SelfRegistration, SelfRegistrationEvent, SelfRegistrationOptions, SelfRegistrationState } from './types.js';

const DEFAULT_TTL_SECONDS = 90;

/** The control plane answered, but not with success. */
class ControlPlaneError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`the control plane answered ${status}${detail ? `: ${detail}` : ''}`);
  }
  /** Retrying will not fix these; 408 and 429 ask for a retry, 5xx may pass. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

const describe = (error: unknown): string => {
  if (error instanceof ControlPlaneError) return error.message;
  const code = (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (code === 'ECONNREFUSED') return 'the control plane refused the connection (is it running?)';
  if (error instanceof Error && (error.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT')) return 'the control plane did not answer in time';
  return error instanceof Error ? error.message : String(error);
};

const detailOf = (answer: JsonAnswer): string => {
  const body = answer.body as { detail?: unknown } | string | null;
  if (typeof body === 'string') return body.slice(0, 200);
  return typeof body?.detail === 'string' ? body.detail : '';
};

/**
 * Registers this app with a control plane and keeps it registered: retries at start (p-retry), renews the lease on
 * the injected clock, registers again after the control plane lost it, deregisters on `stop()`. It never throws
 * after start and never crashes its host: failures go to `onEvent`.
 * @example
 * const self = registerSelf({ controlPlaneUrl: 'http://command-center:8010', service: { name: 'crm', url: 'http://crm:8080' }, auth: { roles: ['operator'] } });
 * process.on('SIGTERM', () => void self.stop().then(() => process.exit(0)));
 */
export function registerSelf(options: SelfRegistrationOptions): SelfRegistration {
  const ttl = options.ttlSeconds === undefined ? DEFAULT_TTL_SECONDS : options.ttlSeconds;
  const registration = parseOrThrow(createRegistrationSchema(), { ...options.service, ttl_seconds: ttl }, 'the service to register is invalid', {
    prefix: 'service',
    rename: (field) => (field === 'service.ttl_seconds' ? 'ttlSeconds' : field),
  });
  const base = parseOrThrow(httpUrlSchema, options.controlPlaneUrl, 'the control plane URL is invalid', { rename: () => 'controlPlaneUrl' }).replace(/\/+$/, '');
  const body = Object.fromEntries(Object.entries(registration).filter(([, v]) => v !== null));
  const servicePath = `${base}/ops/services/${encodeURIComponent(registration.name)}`;
  const clock = options.clock ?? systemClock;
  const intervalMs = options.heartbeatIntervalMs ?? (ttl === null ? 30_000 : Math.max(1000, Math.floor((ttl * 1000) / 3)));
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const ownDispatcher = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 10_000 });
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  const stopping = new AbortController();
  const registeredWaiters = new Set<(registered: boolean) => void>();
  let state: SelfRegistrationState = 'starting';
  let timer: unknown;
  let running: Promise<void> | undefined;
  let attempted = false;
  let joined = false;
  let warned = false;
  const reported = new WeakSet<object>();

  const log = loggerFor(options.logger, 'self-registration');
  const onEvent =
    options.onEvent ??
    ((event: SelfRegistrationEvent) => {
      // One warning per outage, not one per retry.
      if (event.type === 'failed' && !warned) {
        warned = true;
        log.warn({ service: registration.name, controlPlane: base, error: event.error, permanent: event.permanent === true }, 'self-registration failed; retrying in the background');
      } else if (event.type === 'registered' || event.type === 'renewed') {
        if (warned || event.type === 'registered') log.info({ service: registration.name, controlPlane: base }, 'registered with the control plane');
        warned = false;
      }
    });
  const report = (event: SelfRegistrationEvent) => {
    try {
      onEvent(event);
    } catch {
      // A throwing handler must not stop the registration loop or reach the host as an unhandled rejection.
    }
  };

  const headers = async (): Promise<Record<string, string>> => {
    const h: Record<string, string> = { ...options.auth.headers };
    if (options.auth.roles?.length) h['x-user-roles'] = options.auth.roles.join(',');
    const bearer = typeof options.auth.bearer === 'function' ? await options.auth.bearer() : options.auth.bearer;
    if (bearer) h.authorization = `Bearer ${bearer}`;
    return h;
  };

  const call = async (method: 'POST' | 'PUT' | 'DELETE', url: string, payload: unknown, timeoutMs: number, signal?: AbortSignal) =>
    sendJson(dispatcher, method, url, { headers: await headers(), body: payload, timeoutMs, ...(signal ? { signal } : {}) });

  const setRegistered = (registered: boolean) => {
    for (const resolve of [...registeredWaiters]) resolve(registered);
  };

  const register = () =>
    pRetry(
      async () => {
        attempted = true;
        const answer = await call('POST', `${base}/ops/register`, body, requestTimeoutMs, stopping.signal);
        if (answer.status >= 200 && answer.status < 300) return;
        const error = new ControlPlaneError(answer.status, detailOf(answer));
        // p-retry rejects with the wrapped error itself, so the catch below still sees a ControlPlaneError.
        throw error.permanent ? new AbortError(error) : error;
      },
      {
        retries: options.retry?.retries ?? 5,
        minTimeout: options.retry?.minTimeoutMs ?? 500,
        maxTimeout: options.retry?.maxTimeoutMs ?? 10_000,
        factor: 2,
        randomize: true,
        unref: true,
        signal: stopping.signal,
        onFailedAttempt: ({ error }) => {
          reported.add(error);
          report({ type: 'failed', error: describe(error) });
        },
      },
    );

  const join = async () => {
    await register();
    // stop() may have come while the answer was on its way: a stopped client stays stopped.
    if (stopping.signal.aborted) return;
    joined = true;
    state = 'registered';
    report({ type: 'registered' });
    setRegistered(true);
  };

  const tick = async () => {
    try {
      if (!joined) return await join();
      // Once joined, keep renewing even after an outage: a control plane that kept its state needs no new upsert.
      const answer = await call('PUT', `${servicePath}/heartbeat`, undefined, requestTimeoutMs, stopping.signal);
      if (stopping.signal.aborted) return;
      if (answer.status >= 200 && answer.status < 300) {
        state = 'registered';
        report({ type: 'renewed' });
        setRegistered(true);
      } else if (answer.status === 404) {
        // The control plane lost us (restarted on memory, or deregistered us after critical-for): join again.
        joined = false;
        await join();
      } else {
        throw new ControlPlaneError(answer.status, detailOf(answer));
      }
    } catch (error) {
      if (stopping.signal.aborted) return;
      const permanent = error instanceof ControlPlaneError && error.permanent;
      state = permanent ? 'rejected' : 'unreachable';
      // p-retry's onFailedAttempt already reported the retried attempts of a registration.
      if (!(typeof error === 'object' && error !== null && reported.has(error))) {
        report({ type: 'failed', error: describe(error), ...(permanent ? { permanent } : {}) });
      }
    }
  };

  const schedule = (delayMs: number) => {
    timer = clock.setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        if (!stopping.signal.aborted) schedule(intervalMs);
      });
    }, delayMs);
  };

  const stop: SelfRegistration['stop'] = async (stopOptions = {}) => {
    if (stopping.signal.aborted) return;
    stopping.abort(new Error('self-registration stopped'));
    clock.clearTimeout(timer);
    state = 'stopped';
    setRegistered(false);
    await running;
    try {
      // Deregister even when the last attempt's answer was cut off: it may have landed, and a 404 is harmless.
      if (stopOptions.deregister !== false && attempted) {
        try {
          const answer = await call('DELETE', servicePath, undefined, options.deregisterTimeoutMs ?? 2000);
          if ((answer.status >= 200 && answer.status < 300) || answer.status === 404) report({ type: 'deregistered' });
          else report({ type: 'failed', error: describe(new ControlPlaneError(answer.status, detailOf(answer))) });
        } catch (error) {
          report({ type: 'failed', error: describe(error) });
        }
      }
    } finally {
      await ownDispatcher?.close().catch(() => undefined);
    }
  };

  if (options.signal?.aborted) {
    state = 'stopped';
    stopping.abort(options.signal.reason);
    void ownDispatcher?.close().catch(() => undefined);
  } else {
    options.signal?.addEventListener('abort', () => void stop(), { once: true });
    schedule(0);
  }

  return {
    state: () => state,
    waitUntilRegistered(timeoutMs = 30_000) {
      if (state === 'registered') return Promise.resolve(true);
      if (state === 'stopped') return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const done = (registered: boolean) => {
          clock.clearTimeout(waitTimer);
          registeredWaiters.delete(done);
          resolve(registered);
        };
        const waitTimer = clock.setTimeout(() => done(false), timeoutMs);
        registeredWaiters.add(done);
      });
    },
    stop,
  };
}
