import { z } from 'zod';
import { decisionSchema, ENGINE_STATES, healSchema, quarantineSchema, windowSchema } from './state.js';

// The 200 answers of the auto-heal routes, for OpenAPI (handlers build them from typed views).

const health = z.enum(['ok', 'degraded', 'down', 'draining', 'unknown']);
const source = z.enum(['configured', 'registry', 'both']);
const probe = z.object({ check: z.string(), status_code: z.number().nullable(), latency_ms: z.number().nullable(), error: z.string().nullable() });
const windowView = windowSchema.extend({ id: z.string(), in_force: z.boolean() });

export const healRecordSchema = z.object({
  id: z.string(),
  ts: z.string(),
  service: z.string(),
  action: z.string(),
  outcome: z.enum(['succeeded', 'failed', 'skipped']),
  reason: z.string(),
  message: z.string(),
  probe: probe.nullable(),
  attempt: z.number().nullable(),
  delay_ms: z.number().nullable(),
  detected_at: z.string().nullable(),
  started_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  error: z.string().nullable(),
});

export const statusResponse = z.object({
  enabled: z.boolean(),
  runtime: z.string(),
  interval_seconds: z.number(),
  last_check: z.string().nullable(),
  dry_run: z.boolean(),
  fleet_guard: z.object({ since: z.string(), failing: z.number(), fleet: z.number() }).nullable(),
  services: z.array(z.object({ name: z.string(), status: health, state: z.enum(ENGINE_STATES), source, reason: decisionSchema.shape.reason, since: z.string() })),
});

export const historyResponse = z.object({ history: z.array(healRecordSchema), total_in_history: z.number(), limit: z.number() });

export const statsResponse = z.object({
  total_attempts: z.number(),
  successful: z.number(),
  failed: z.number(),
  success_rate: z.number(),
  services: z.record(z.string(), z.number()),
  most_healed: z.string().nullable(),
  skipped: z.number(),
  time_to_heal_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), samples: z.number() }),
  quarantined: z.array(z.object({ service: z.string(), since: z.string(), reason: z.string() })),
});

export const serviceResponse = z.object({
  name: z.string(),
  active: z.boolean(),
  source,
  runtime_id: z.string(),
  depends_on: z.array(z.string()),
  status: health,
  state: z.enum(ENGINE_STATES),
  decision: decisionSchema,
  last_round: z.string().nullable(),
  checks: z.array(z.object({ name: z.string(), kind: z.string(), role: z.enum(['liveness', 'readiness']), verdict: z.string().nullable(), status_code: z.number().nullable(), latency_ms: z.number().nullable(), error: z.string().nullable() })),
  thresholds: z.object({ failure: z.number(), success: z.number() }),
  consecutive_failures: z.number(),
  consecutive_successes: z.number(),
  failing_since: z.string().nullable(),
  healthy_since: z.string().nullable(),
  grace_until: z.string().nullable(),
  flapping: z.object({ flapping: z.boolean(), change_rate: z.number(), window: z.number(), results: z.string() }),
  backoff: z.object({ attempt: z.number(), next_delay_ms: z.number(), next_restart_at: z.string().nullable() }),
  budget: z.object({ used: z.number(), limit: z.number(), window_seconds: z.number() }),
  quarantine: quarantineSchema.nullable(),
  heal: healSchema.nullable(),
  windows: z.array(windowSchema.extend({ id: z.string() })),
  last_heal: healRecordSchema.nullable(),
});

export const windowsResponse = z.object({ windows: z.array(windowView) });
export const windowResponse = windowView;
export const quarantineResponse = z.object({ status: z.literal('ok'), name: z.string(), quarantine: quarantineSchema.nullable() });
export const removedResponse = z.object({ status: z.literal('ok'), id: z.string(), removed: z.literal(true) });
export const dryRunResponse = z.object({ status: z.literal('ok'), dry_run: z.boolean(), by: z.string().nullable(), reason: z.string().nullable(), at: z.string().nullable() });
