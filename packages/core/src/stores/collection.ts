import type { z } from 'zod';
import { AetherError, fieldErrorsFromZod, isAetherError, validationError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import { isVersionConflict, resolveCollection } from './documents.js';
import type { CollectionSpec, DocumentListQuery, DocumentStore, DocumentWriteOptions, IndexValue, StoredDocument } from './types.js';

/** A declared collection of documents shaped `T`. */
export interface CollectionDefinition<T extends object> extends CollectionSpec {
  readonly name: string;
  readonly indexes: readonly (keyof T & string)[];
  readonly unique: readonly (keyof T & string)[];
  /** Checks (and shapes) `data` before every write; its output is what is stored. */
  readonly schema: z.ZodType<T> | undefined;
}

/** Options of `defineCollection`. */
export interface CollectionOptions<T extends object> {
  name: string;
  schema?: z.ZodType<T>;
  /** Fields `list` may filter on (scalar values). */
  indexes?: readonly (keyof T & string)[];
  /** Fields no two documents may share a value of (null excepted). */
  unique?: readonly (keyof T & string)[];
}

/** Equality filters on declared fields. */
export type DocumentWhere<T> = { [K in keyof T & string]?: Extract<T[K], IndexValue> | null };

/** A collection bound to a store, typed. */
export interface Collection<T extends object> {
  readonly definition: CollectionDefinition<T>;
  get(id: string): Promise<StoredDocument<T> | null>;
  /** Creates or replaces; `{ ifVersion }` makes it a compare-and-set (0: create only). */
  put(doc: { id: string; data: T }, options?: DocumentWriteOptions): Promise<StoredDocument<T>>;
  /** Creates only (a taken id is `conflict`); the id defaults to a new UUIDv7. */
  create(doc: { id?: string; data: T }): Promise<StoredDocument<T>>;
  /**
   * Read, change, compare-and-set, again on a version conflict (at most `attempts` times, default 10). Null when
   * the document does not exist. `change` may run more than once, so it should only compute.
   */
  update(id: string, change: (data: T, doc: StoredDocument<T>) => T | Promise<T>, options?: { attempts?: number }): Promise<StoredDocument<T> | null>;
  remove(id: string, options?: DocumentWriteOptions): Promise<boolean>;
  list(query?: Omit<DocumentListQuery, 'where'> & { where?: DocumentWhere<T> }): Promise<StoredDocument<T>[]>;
  /** Grows with every change to this collection. */
  version(): Promise<number>;
}

/**
 * Declares a collection: its name, the fields it keeps keys of, and optionally a zod schema for its data.
 * Nothing is created anywhere; the first write does that, on any store.
 * @example const silences = defineCollection({ name: 'silences', schema: silenceSchema, indexes: ['matcher'] })
 */
export function defineCollection<T extends object>(options: CollectionOptions<T>): CollectionDefinition<T> {
  const definition: CollectionDefinition<T> = {
    name: options.name,
    indexes: [...(options.indexes ?? [])],
    unique: [...(options.unique ?? [])],
    schema: options.schema,
  };
  try {
    resolveCollection(definition);
  } catch (error) {
    throw new AetherError('config_invalid', `collection "${String(options.name)}": ${(error as Error).message}`, {
      cause: error,
      ...(isAetherError(error) && error.errors ? { errors: error.errors } : {}),
    });
  }
  return Object.freeze(definition);
}

/**
 * Typed access to one collection of a DocumentStore.
 * @example const rules = collection(stores.documents, alertRulesCollection); await rules.create({ data: rule })
 */
export function collection<T extends object>(store: DocumentStore, definition: CollectionDefinition<T>): Collection<T> {
  const parse = (data: T): Record<string, unknown> => {
    if (!definition.schema) return data as Record<string, unknown>;
    const result = definition.schema.safeParse(data);
    if (!result.success) throw validationError(fieldErrorsFromZod(result.error, { prefix: 'data' }), `invalid ${definition.name} document`);
    return result.data as Record<string, unknown>;
  };
  const typed = (doc: StoredDocument | null) => doc as StoredDocument<T> | null;
  const self: Collection<T> = {
    definition,
    get: async (id) => typed(await store.get(definition, id)),
    put: async (doc, options) => (await store.put(definition, { id: doc.id, data: parse(doc.data) }, options)) as StoredDocument<T>,
    create: (doc) => self.put({ id: doc.id ?? uuidv7(), data: doc.data }, { ifVersion: 0 }),
    async update(id, change, options = {}) {
      const attempts = options.attempts ?? 10;
      for (let attempt = 1; ; attempt++) {
        const current = await self.get(id);
        if (!current) return null;
        try {
          return await self.put({ id, data: await change(current.data, current) }, { ifVersion: current.version });
        } catch (error) {
          if (!isVersionConflict(error) || attempt >= attempts) throw error;
        }
      }
    },
    remove: (id, options) => store.remove(definition, id, options),
    list: async (query = {}) => (await store.list(definition, query as DocumentListQuery)) as StoredDocument<T>[],
    version: () => store.version(definition),
  };
  return self;
}
