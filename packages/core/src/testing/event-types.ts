import { z } from 'zod';
import type { EventTypeDefinition } from '../events/builtin-types.js';

/**
 * An event type the contract suites register on their own bus, so they test schema validation without depending
 * on which packages an app installs.
 * @example bus.registry.register(JOB_FAILED)
 */
export const JOB_FAILED: EventTypeDefinition = {
  type: 'job.failed',
  description: 'A job failed (a type of the test suites).',
  schema: z.looseObject({ service: z.string().min(1), error: z.string() }),
  defaultSeverity: 'error',
};
