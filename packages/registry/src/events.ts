import { healthStatusSchema, type EventTypeDefinition } from '@aetherlink/core';
import { z } from 'zod';

const name = z.string().min(1).max(200);

/**
 * The events the registry emits (DESIGN §2). Viewers read them, so they carry names and statuses, never a
 * service's URLs; extra fields in `data` are kept.
 * @example schemas.register(REGISTRY_EVENT_TYPES[0]!)
 */
export const REGISTRY_EVENT_TYPES: readonly EventTypeDefinition[] = [
  {
    type: 'service.registered',
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
];
