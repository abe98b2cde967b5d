import type { EventTypeDefinition } from '@aetherlink/core';
import { z } from 'zod';

/**
 * The events alerting emits (DESIGN §2): one `ops.alert.raised` per firing episode, one `ops.alert.resolved` when
 * it ends. Extra fields in `data` are kept.
 * @example schemas.register(ALERT_EVENT_TYPES[0]!)
 */
export const ALERT_EVENT_TYPES: readonly EventTypeDefinition[] = [
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
];
