import { z } from 'zod';
import { AetherError, fieldErrorsFromZod, validationError } from '../errors.js';
import { BUILTIN_EVENT_TYPES, type EventTypeDefinition } from './builtin-types.js';
import { eventTypeSchema } from './envelope.js';

export interface SchemaRegistryOptions {
  /** Reject events whose type is not registered. Default false: unknown types are stored as they come. */
  strict?: boolean;
  /** Start with the built-in types of DESIGN §2. Default true. */
  builtins?: boolean;
}

/** The JSON form of one registered type, as `GET /events/schema` returns it. */
export interface EventTypeDescription {
  type: string;
  description: string;
  builtin: boolean;
  default_severity: string;
  schema: Record<string, unknown>;
}

export interface SchemaRegistry {
  readonly strict: boolean;
  /**
   * Adds a type; throws `conflict` if it exists unless `replace` is set. `builtin` marks types that ship with
   * AetherLink's packages (their modules register them) apart from an app's own.
   */
  register(definition: EventTypeDefinition, options?: { replace?: boolean; builtin?: boolean }): void;
  has(type: string): boolean;
  get(type: string): EventTypeDefinition | undefined;
  list(): EventTypeDefinition[];
  /** Checks `data` against the type's schema; returns the parsed data or throws `validation_failed` naming `data.*` fields. */
  validate(type: string, data: unknown, rename?: (path: string) => string): unknown;
  describe(type: string): EventTypeDescription | undefined;
}

/**
 * A registry of event types and the zod schemas of their `data`.
 * @example
 * const registry = createSchemaRegistry();
 * registry.register({ type: 'order.paid', description: 'An order was paid', schema: z.object({ order_id: z.string() }) });
 */
export function createSchemaRegistry(options: SchemaRegistryOptions = {}): SchemaRegistry {
  const strict = options.strict ?? false;
  const types = new Map<string, EventTypeDefinition & { builtin: boolean }>();
  const jsonSchemas = new Map<string, Record<string, unknown>>();
  if (options.builtins !== false) for (const def of BUILTIN_EVENT_TYPES) types.set(def.type, { ...def, builtin: true });

  return {
    strict,
    register(definition, opts = {}) {
      const name = eventTypeSchema.safeParse(definition.type);
      if (!name.success) {
        throw new AetherError('validation_failed', `event type "${definition.type}" ${name.error.issues[0]?.message}`);
      }
      if (types.has(definition.type) && !opts.replace) {
        throw new AetherError('conflict', `event type "${definition.type}" is already registered; pass { replace: true } to replace it`);
      }
      types.set(definition.type, { ...definition, builtin: opts.builtin ?? false });
      jsonSchemas.delete(definition.type);
    },
    has: (type) => types.has(type),
    get: (type) => types.get(type),
    list: () => [...types.values()].sort((a, b) => a.type.localeCompare(b.type)),
    validate(type, data, rename) {
      const def = types.get(type);
      if (!def) {
        if (strict) {
          throw validationError(
            [{ field: rename ? rename('type') : 'type', message: `"${type}" is not a registered event type` }],
            'the event is invalid',
          );
        }
        return data;
      }
      const parsed = def.schema.safeParse(data ?? undefined);
      if (!parsed.success) {
        throw validationError(fieldErrorsFromZod(parsed.error, { prefix: 'data', ...(rename ? { rename } : {}) }), `"${type}" data is invalid`);
      }
      return parsed.data;
    },
    describe(type) {
      const def = types.get(type);
      if (!def) return undefined;
      let schema = jsonSchemas.get(type);
      if (!schema) {
        schema = z.toJSONSchema(def.schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
        jsonSchemas.set(type, schema);
      }
      return {
        type: def.type,
        description: def.description,
        builtin: def.builtin,
        default_severity: def.defaultSeverity ?? 'info',
        schema,
      };
    },
  };
}
