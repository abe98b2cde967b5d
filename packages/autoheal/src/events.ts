import type { EventTypeDefinition } from '@aetherlink/core';
import { z } from 'zod';

const name = z.string().min(1).max(200);

/**
 * The events auto-heal emits (DESIGN §2). Extra fields in `data` are kept.
 * @example schemas.register(AUTOHEAL_EVENT_TYPES[0]!)
 */
export const AUTOHEAL_EVENT_TYPES: readonly EventTypeDefinition[] = [
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
];
