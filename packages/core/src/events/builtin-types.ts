import { z } from 'zod';
import { healthStatusSchema } from '../health.js';

const name = z.string().min(1).max(200);
const attemptError = z.looseObject({ provider: z.string(), error: z.string(), latency_ms: z.number().optional() });

/** One built-in event type: its name, what it means, and the schema of its `data`. */
export interface EventTypeDefinition {
  type: string;
  description: string;
  schema: z.ZodType;
  /** Severity producers use unless they say otherwise. */
  defaultSeverity?: 'info' | 'warning' | 'error' | 'critical';
}

/** The event types every AetherLink package emits (DESIGN §2). Extra fields in `data` are kept. */
export const BUILTIN_EVENT_TYPES: readonly EventTypeDefinition[] = [
  {
    type: 'service.registered',
    // Readable by every viewer: a service's addresses (url, health_url) stay behind ops:operate.
    description: 'A service joined the registry or updated its registration.',
    schema: z.looseObject({ name, status: healthStatusSchema.optional(), version: z.string().optional(), tags: z.array(z.string()).optional() }),
  },
  {
    type: 'service.unregistered',
    description: 'A service left the registry, by request or because its lease expired.',
    schema: z.looseObject({ name, reason: z.string().optional() }),
    defaultSeverity: 'warning',
  },
  {
    type: 'service.health.failed',
    description: 'A health probe of a registered service failed.',
    schema: z.looseObject({
      name,
      status: healthStatusSchema,
      error: z.string().nullable().optional(),
      latency_ms: z.number().nullable().optional(),
    }),
    defaultSeverity: 'warning',
  },
  {
    type: 'autoheal.attempted',
    description: 'Auto-heal is about to restart a service.',
    schema: z.looseObject({ service: name, reason: z.string().optional(), attempt: z.number().int().optional() }),
    defaultSeverity: 'warning',
  },
  {
    type: 'autoheal.succeeded',
    description: 'A restarted service passed its checks again.',
    schema: z.looseObject({ service: name, duration_ms: z.number().optional() }),
  },
  {
    type: 'autoheal.failed',
    description: 'A restart failed, or the service did not recover after it.',
    schema: z.looseObject({ service: name, error: z.string() }),
    defaultSeverity: 'error',
  },
  {
    type: 'autoheal.skipped',
    description: 'Auto-heal chose not to act (maintenance, silence, budget, manual stop, dry-run).',
    schema: z.looseObject({ service: name, reason: z.string() }),
  },
  {
    type: 'autoheal.quarantined',
    description: 'A service used up its restart budget and is no longer restarted.',
    schema: z.looseObject({ service: name, restarts: z.number().int(), window_seconds: z.number().optional() }),
    defaultSeverity: 'critical',
  },
  {
    type: 'autoheal.released',
    description: 'A quarantined service is back under auto-heal.',
    schema: z.looseObject({ service: name }),
  },
  {
    type: 'ai.provider.used',
    description: 'An AI provider answered a request.',
    schema: z.looseObject({ provider: z.string(), intent: z.string().optional(), latency_ms: z.number() }),
  },
  {
    type: 'ai.fallback.used',
    description: 'A later provider answered after earlier ones failed.',
    schema: z.looseObject({ provider: z.string(), intent: z.string().optional(), failed: z.array(attemptError) }),
    defaultSeverity: 'warning',
  },
  {
    type: 'ai.fallback.failed',
    description: 'Every provider failed for a request.',
    schema: z.looseObject({ intent: z.string().optional(), errors: z.array(attemptError) }),
    defaultSeverity: 'error',
  },
  {
    type: 'ops.alert.raised',
    description: 'An alert rule started firing.',
    schema: z.looseObject({
      rule_id: z.string(),
      rule_name: z.string(),
      count: z.number().int().optional(),
      threshold: z.number().optional(),
      window_seconds: z.number().optional(),
    }),
    defaultSeverity: 'critical',
  },
  {
    type: 'ops.alert.resolved',
    description: 'A firing alert rule resolved.',
    schema: z.looseObject({ rule_id: z.string(), rule_name: z.string() }),
  },
  {
    type: 'lead.created',
    description: 'The CRM created a lead.',
    schema: z.looseObject({
      lead_id: z.union([z.string(), z.number()]),
      name: z.string().optional(),
      email: z.string().optional(),
      company: z.string().optional(),
    }),
  },
  {
    type: 'ai.summary.created',
    description: 'The AI router produced a summary.',
    schema: z.looseObject({ summary: z.string(), subject_id: z.union([z.string(), z.number()]).optional() }),
  },
  {
    type: 'security.rbac.violation',
    description: 'A known principal asked for something its roles do not allow (HTTP 403).',
    schema: z.looseObject({
      method: z.string(),
      path: z.string(),
      permission: z.string(),
      roles: z.array(z.string()),
      principal: z.string().optional(),
      client_ip: z.string().optional(),
    }),
    defaultSeverity: 'warning',
  },
];
