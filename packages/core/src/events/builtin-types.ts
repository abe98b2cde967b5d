import { z } from 'zod';

/** One built-in event type: its name, what it means, and the schema of its `data`. */
export interface EventTypeDefinition {
  type: string;
  description: string;
  schema: z.ZodType;
  /** Severity producers use unless they say otherwise. */
  defaultSeverity?: 'info' | 'warning' | 'error' | 'critical';
}

/**
 * The event types core itself emits; every other package's types live beside the code that emits them and reach
 * an app's schema registry through its module (`createModuleHost`). Extra fields in `data` are kept.
 */
export const BUILTIN_EVENT_TYPES: readonly EventTypeDefinition[] = [
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

/**
 * The default severity of `type` among a package's own definitions, so it emits with the severity it defined even
 * when the app's registry does not hold its types.
 * @example bus.emit(type, data, { severity: severityOf(AI_EVENT_TYPES, type) })
 */
export function severityOf(types: readonly EventTypeDefinition[], type: string): 'info' | 'warning' | 'error' | 'critical' {
  return types.find((t) => t.type === type)?.defaultSeverity ?? 'info';
}
