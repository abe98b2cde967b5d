import { checkSchema, DEFAULT_CONDITIONS, httpUrlSchema, probeSettings, serviceNameSchema } from '@aetherlink/registry';
import { z } from 'zod';
import type { CheckSpec, CustomCheck, HealTarget } from './types.js';

const whole = (min: number, max: number) =>
  z.number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a number' : undefined) }).int('must be a whole number').min(min).max(max);
const scalar = z.union([z.string().max(200), z.number(), z.boolean(), z.null()]);
const statusCode = whole(100, 599);
const base = {
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/, "must be letters, digits, '.', '_', ':' or '-'").optional(),
  role: z.enum(['liveness', 'readiness'], { error: 'must be "liveness" or "readiness"' }).optional(),
  timeoutMs: whole(10, 600_000).optional(),
};

/** One check as code gives it (see `CheckSpec`). */
export const checkInputSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('http'),
      ...base,
      url: httpUrlSchema,
      statusRange: z.tuple([statusCode, statusCode]).refine(([lo, hi]) => lo <= hi, 'must be a range from low to high').optional(),
      maxLatencyMs: whole(1, 600_000).optional(),
      body: z.object({ path: z.string().min(1).max(200), ok: z.array(scalar).min(1).max(16), degraded: z.array(scalar).max(16).optional() }).optional(),
      headers: z.record(z.string(), z.string()).optional(),
    }),
    z.object({ kind: z.literal('tcp'), ...base, host: z.string().min(1).max(253), port: whole(1, 65535) }),
    z.object({
      kind: z.literal('custom'),
      ...base,
      name: z.string().min(1).max(64),
      run: z.custom<CustomCheck['run']>((v) => typeof v === 'function', { message: 'must be a function' }),
    }),
    z.object({ kind: z.literal('runtime'), ...base }),
  ],
  { error: 'must be a check with kind "http", "tcp", "custom" or "runtime"' },
);

/** One target as code gives it (see `HealTarget`). */
export const targetInputSchema = z.object({
  name: serviceNameSchema,
  runtimeId: z.string().min(1).max(255).optional(),
  checks: z.array(checkInputSchema).max(16).optional(),
  dependsOn: z.array(serviceNameSchema).max(32).optional(),
  failureThreshold: whole(1, 1000).optional(),
  successThreshold: whole(1, 1000).optional(),
  startGraceMs: whole(0, 86_400_000).optional(),
  stopTimeoutMs: whole(0, 3_600_000).optional(),
});

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * One target in configuration (JSON, snake_case; what `AUTOHEAL_SERVICES` may hold besides plain names).
 * `health_url` becomes an HTTP liveness check judged by `check` (the registry's check fields), `readiness_url` an
 * HTTP readiness check, `tcp` (`host:port`) a TCP liveness check; with none of them the runtime's state is checked.
 * @example healTargetConfigSchema.parse({ name: 'api', health_url: 'http://api:8080/ping', depends_on: ['db'] })
 */
export const healTargetConfigSchema = z.strictObject({
  name: serviceNameSchema,
  runtime_id: z.string().min(1).max(255).optional(),
  health_url: httpUrlSchema.optional(),
  readiness_url: httpUrlSchema.optional(),
  tcp: z.string().regex(HOST_PORT, 'must be host:port').optional(),
  check: checkSchema.optional(),
  depends_on: z.array(serviceNameSchema).max(32).optional(),
  failure_threshold: whole(1, 1000).optional(),
  success_threshold: whole(1, 1000).optional(),
  start_grace_seconds: whole(0, 86_400).optional(),
  stop_timeout_seconds: whole(0, 3600).optional(),
});
export type HealTargetConfig = z.input<typeof healTargetConfigSchema>;

/**
 * A configured target (see `healTargetConfigSchema`) as a `HealTarget`.
 * @example toHealTarget({ name: 'api', health_url: 'http://api:8080/ping', check: { status: '200-299' } })
 */
export function toHealTarget(config: z.output<typeof healTargetConfigSchema>): HealTarget {
  const checks: CheckSpec[] = [];
  const { conditions, timeoutMs } = probeSettings(config.check ?? null, DEFAULT_CONDITIONS, 0);
  const http = (url: string, role: 'liveness' | 'readiness'): CheckSpec => ({
    kind: 'http',
    name: role === 'liveness' ? 'http' : 'ready',
    role,
    url,
    ...(conditions.statusRange ? { statusRange: conditions.statusRange } : {}),
    ...(conditions.maxLatencyMs !== undefined ? { maxLatencyMs: conditions.maxLatencyMs } : {}),
    ...(conditions.body ? { body: conditions.body } : {}),
    ...(timeoutMs > 0 ? { timeoutMs } : {}),
  });
  if (config.health_url) checks.push(http(config.health_url, 'liveness'));
  if (config.readiness_url) checks.push(http(config.readiness_url, 'readiness'));
  if (config.tcp) {
    const [, host, port] = HOST_PORT.exec(config.tcp)!;
    checks.push({ kind: 'tcp', name: 'tcp', host: host!.replace(/^\[|\]$/g, ''), port: Number(port) });
  }
  return {
    name: config.name,
    ...(config.runtime_id ? { runtimeId: config.runtime_id } : {}),
    ...(checks.length ? { checks } : {}),
    ...(config.depends_on ? { dependsOn: config.depends_on } : {}),
    ...(config.failure_threshold !== undefined ? { failureThreshold: config.failure_threshold } : {}),
    ...(config.success_threshold !== undefined ? { successThreshold: config.success_threshold } : {}),
    ...(config.start_grace_seconds !== undefined ? { startGraceMs: config.start_grace_seconds * 1000 } : {}),
    ...(config.stop_timeout_seconds !== undefined ? { stopTimeoutMs: config.stop_timeout_seconds * 1000 } : {}),
  };
}

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-05-01T12:00:00Z' });

/** `POST /autoheal/maintenance`: a maintenance window or a silence for one service, or `*` for all. */
export const windowBodySchema = z
  .strictObject({
    service: z.union([z.literal('*'), serviceNameSchema]),
    kind: z.enum(['maintenance', 'silence'], { error: 'must be "maintenance" or "silence"' }).default('maintenance'),
    starts_at: isoTime.optional().describe('default: now'),
    ends_at: isoTime.optional().describe('default: until it is cleared (or duration_seconds)'),
    duration_seconds: whole(1, 90 * 86_400).optional(),
    reason: z.string().trim().min(1, 'say why (who reads the status will ask)').max(500),
    by: z.string().trim().min(1).max(120).optional().describe('who; default: the caller’s identity'),
  })
  .superRefine((b, ctx) => {
    if (b.ends_at !== undefined && b.duration_seconds !== undefined) ctx.addIssue({ code: 'custom', path: ['duration_seconds'], message: 'give ends_at or duration_seconds, not both' });
    if (b.ends_at !== undefined && b.starts_at !== undefined && Date.parse(b.ends_at) <= Date.parse(b.starts_at)) {
      ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'must be after starts_at' });
    }
  });

/** `PUT /autoheal/services/{name}/quarantine`. */
export const quarantineBodySchema = z.strictObject({
  reason: z.string().trim().max(500).optional(),
  by: z.string().trim().min(1).max(120).optional(),
});

/** `PUT /autoheal/dry-run`. */
export const dryRunBodySchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }),
  reason: z.string().trim().max(500).optional(),
  by: z.string().trim().min(1).max(120).optional(),
});
