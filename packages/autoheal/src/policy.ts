import { AetherError, fieldErrorsFromZod } from '@aetherlink/core';
import { z } from 'zod';
import type { HealPolicy, HealPolicyInput } from './types.js';

/**
 * The markers of a service that is shutting down on purpose: Lightship's `SERVER_IS_SHUTTING_DOWN`, AetherLink's
 * own `/health.json` (`shutdown:draining`), and the words terminus-style handlers answer with.
 * @example createAutoHealer({ ..., policy: { drainingMarkers: [...DEFAULT_DRAINING_MARKERS, 'going away'] } })
 */
export const DEFAULT_DRAINING_MARKERS: readonly string[] = Object.freeze(['SERVER_IS_SHUTTING_DOWN', 'shutdown:draining', 'shutting down', 'draining']);

/**
 * What auto-heal decides by unless told otherwise (Kubernetes' and systemd's numbers where they have one).
 * @example createAutoHealer({ ..., policy: { ...DEFAULT_POLICY, failureThreshold: 5 } })
 */
export const DEFAULT_POLICY: Readonly<HealPolicy> = Object.freeze({
  intervalMs: 30_000,
  checkTimeoutMs: 5000,
  checkConcurrency: 32,
  failureThreshold: 3,
  successThreshold: 1,
  startGraceMs: 30_000,
  stopTimeoutMs: 10_000,
  verifyWindowMs: 60_000,
  verifyIntervalMs: 2000,
  backoff: { initialMs: 10_000, factor: 2, maxMs: 300_000, jitter: 0.1, resetAfterMs: 600_000 },
  budget: { restarts: 3, windowMs: 600_000 },
  releaseAfterMs: 300_000,
  flapping: { window: 21, high: 0.5, low: 0.3 },
  caps: { concurrentRestarts: 3, restartsPerMinute: 10 },
  fleetGuard: { share: 0.15, minFailing: 3 },
  drainingMarkers: [...DEFAULT_DRAINING_MARKERS],
  dryRun: false,
});

// Only a wrong type gets the custom message; bounds keep zod's, which say the bound.
const typed = (message: string) => ({ error: (issue: { code: string }) => (issue.code === 'invalid_type' ? message : undefined) });
const ms = (min = 0) => z.number(typed('must be a number of milliseconds')).int('must be a whole number of milliseconds').min(min);
const count = (min = 1) => z.number(typed('must be a number')).int('must be a whole number').min(min);
const share = z.number(typed('must be a number')).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1');

const policySchema = z
  .strictObject({
    intervalMs: ms(10),
    checkTimeoutMs: ms(10),
    checkConcurrency: count(),
    failureThreshold: count(),
    successThreshold: count(),
    startGraceMs: ms(),
    stopTimeoutMs: ms(),
    verifyWindowMs: ms(10),
    verifyIntervalMs: ms(10),
    backoff: z.strictObject({ initialMs: ms(), factor: z.number().min(1, 'must be at least 1'), maxMs: ms(), jitter: share, resetAfterMs: ms() }),
    budget: z.strictObject({ restarts: count(), windowMs: ms(1) }),
    releaseAfterMs: ms(),
    flapping: z.strictObject({ window: count(3).max(1000), high: share, low: share }),
    caps: z.strictObject({ concurrentRestarts: count(), restartsPerMinute: count() }),
    fleetGuard: z.strictObject({ share, minFailing: count() }),
    drainingMarkers: z.array(z.string().min(1).max(200)).max(32),
    dryRun: z.boolean(),
  })
  .superRefine((p, ctx) => {
    if (p.flapping.low > p.flapping.high) ctx.addIssue({ code: 'custom', path: ['flapping', 'low'], message: 'must not be above flapping.high' });
    if (p.backoff.initialMs > p.backoff.maxMs) ctx.addIssue({ code: 'custom', path: ['backoff', 'initialMs'], message: 'must not be above backoff.maxMs' });
  });

/**
 * The full policy from a partial one, checked: a bad number is `config_invalid` naming it (`policy.backoff.maxMs`).
 * `verifyIntervalMs` defaults to the smaller of 2 s and the interval.
 * @example const policy = resolvePolicy({ intervalMs: 1000, failureThreshold: 3 })
 */
export function resolvePolicy(input: HealPolicyInput = {}): HealPolicy {
  const merged = {
    ...DEFAULT_POLICY,
    verifyIntervalMs: Math.min(DEFAULT_POLICY.verifyIntervalMs, input.intervalMs ?? DEFAULT_POLICY.intervalMs),
    ...input,
    backoff: { ...DEFAULT_POLICY.backoff, ...input.backoff },
    budget: { ...DEFAULT_POLICY.budget, ...input.budget },
    flapping: { ...DEFAULT_POLICY.flapping, ...input.flapping },
    caps: { ...DEFAULT_POLICY.caps, ...input.caps },
    fleetGuard: { ...DEFAULT_POLICY.fleetGuard, ...input.fleetGuard },
    drainingMarkers: [...(input.drainingMarkers ?? DEFAULT_POLICY.drainingMarkers)],
  };
  const parsed = policySchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const errors = fieldErrorsFromZod(parsed.error, { prefix: 'policy' });
  throw new AetherError('config_invalid', `the auto-heal policy is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}
