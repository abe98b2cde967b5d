import type { EventTypeDefinition } from '@aetherlink/core';
import { z } from 'zod';

// What both alert events carry: the rule, the alert's group and its episode. Each event's id is its episode's
// (`<episode>:raised`, `<episode>:resolved`), so an evaluator that publishes it twice stores it once.
const alertData = {
  rule_id: z.string(),
  rule_name: z.string(),
  episode_id: z.string().optional(),
  group: z.record(z.string(), z.string()).optional(),
  count: z.number().int().optional(),
  threshold: z.number().optional(),
  window_seconds: z.number().optional(),
  started_at: z.string().optional(),
  summary: z.string().optional(),
};

/**
 * The events alerting emits (DESIGN §2): one `ops.alert.raised` per firing episode (also when a silence holds its
 * notice back: `silenced: true`), one `ops.alert.resolved` when it ends. Extra fields in `data` are kept.
 * @example schemas.register(ALERT_EVENT_TYPES[0]!)
 */
export const ALERT_EVENT_TYPES: readonly EventTypeDefinition[] = [
  {
    type: 'ops.alert.raised',
    description: 'An alert started firing (one per episode of a rule and group).',
    schema: z.looseObject({ ...alertData, silenced: z.boolean().optional() }),
    defaultSeverity: 'critical',
  },
  {
    type: 'ops.alert.resolved',
    description: 'A firing alert resolved.',
    schema: z.looseObject({ ...alertData, ended_at: z.string().nullable().optional() }),
  },
];
