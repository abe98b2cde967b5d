import { createHash } from 'node:crypto';
import { AetherError, isAetherError, validationError } from '../errors.js';
import type { CollectionSpec, DocumentListQuery, DocumentWriteOptions, IndexValue } from './types.js';

// Pure rules every DocumentStore follows (memory, SQLite, PostgreSQL), so they agree to the letter: what a
// collection declares, which keys a document gets, what a write may ask, and the errors a refusal throws.

const COLLECTION_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_ID_LENGTH = 512;
const MAX_FIELD_LENGTH = 128;
// Longer key values are stored as a hash, so an index entry stays small (PostgreSQL refuses btree entries
// over ~2.7 kB) while equality still holds.
const MAX_KEY_TEXT = 200;

/** A collection as stores use it: its name, every declared field, and a signature of the declaration. */
export interface ResolvedCollection {
  name: string;
  /** indexes ∪ unique, sorted. */
  fields: readonly string[];
  unique: ReadonlySet<string>;
  /** Changes exactly when the declared fields change; a store keeps it to know when to rebuild keys. */
  signature: string;
}

/** One key a document has in its collection: a declared field and its encoded value. */
export interface DocumentKey {
  field: string;
  /** `encodeIndexValue` of the field's value. */
  value: string;
  /** True when the field is unique and the value is not null (null never collides). */
  unique: boolean;
}

const invalid = (field: string, message: string) => validationError([{ field, message }]);

/**
 * A collection's name, checked (letters, digits and `_ . : -`, at most 128).
 * @example collectionName('alert_rules') // 'alert_rules'
 */
export function collectionName(collection: CollectionSpec | string): string {
  const name = typeof collection === 'string' ? collection : collection?.name;
  if (typeof name !== 'string' || !COLLECTION_NAME.test(name)) {
    throw invalid('collection', 'must be letters, digits and "_ . : -", 1 to 128 of them');
  }
  return name;
}

/**
 * A collection's declaration, checked and normalized.
 * @example const c = resolveCollection({ name: 'rules', indexes: ['enabled'], unique: ['name'] })
 */
export function resolveCollection(collection: CollectionSpec): ResolvedCollection {
  const name = collectionName(collection);
  const check = (list: readonly string[] | undefined, what: 'indexes' | 'unique') => {
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw invalid(what, 'must be a list of field names');
    for (const field of list) {
      if (typeof field !== 'string' || field.length === 0 || field.length > MAX_FIELD_LENGTH) {
        throw invalid(what, `must hold field names of 1 to ${MAX_FIELD_LENGTH} characters`);
      }
    }
    return list;
  };
  const unique = [...new Set(check(collection.unique, 'unique'))].sort();
  const fields = [...new Set([...check(collection.indexes, 'indexes'), ...unique])].sort();
  return { name, fields, unique: new Set(unique), signature: JSON.stringify({ fields, unique }) };
}

/**
 * A document id, checked: a well-formed string of 1 to 512 characters without NUL.
 * @example checkDocumentId(doc.id)
 */
export function checkDocumentId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || id.includes('\u0000') || !id.isWellFormed()) {
    throw invalid('id', `must be a string of 1 to ${MAX_ID_LENGTH} characters (no NUL, no lone surrogate)`);
  }
  return id;
}

/**
 * The version a write requires (undefined: unconditional), checked.
 * @example const expected = writeCondition(options)
 */
export function writeCondition(options: DocumentWriteOptions | undefined): number | undefined {
  const v = options?.ifVersion;
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) throw invalid('ifVersion', 'must be a whole number of at least 0');
  return v;
}

/**
 * A document's data as JSON: a plain object, round-tripped through JSON so every store keeps exactly the same
 * thing (undefined members dropped, dates as strings). `text` is what SQL stores write.
 * @example const { data, text } = jsonDocument(doc.data)
 */
export function jsonDocument(data: unknown): { data: Record<string, unknown>; text: string } {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalid('data', 'must be a JSON object');
  let text: string;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new AetherError('validation_failed', `data: cannot be written as JSON (${(error as Error).message})`, {
      errors: [{ field: 'data', message: 'cannot be written as JSON' }],
    });
  }
  return { data: JSON.parse(text) as Record<string, unknown>, text };
}

/**
 * The text a store keeps for an indexed value: its JSON (so `1`, `"1"` and `true` stay apart), or a hash of it
 * when long. Throws `validation_failed` naming `field` for anything but a scalar.
 * @example encodeIndexValue('spike', 'name') // '"spike"'
 */
export function encodeIndexValue(value: unknown, field: string): string {
  const v = value === undefined ? null : value;
  const scalar = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
  if (!scalar) throw invalid(field, 'must be a string, a finite number, a boolean or null (it is an indexed field)');
  const text = JSON.stringify(v as IndexValue);
  return text.length <= MAX_KEY_TEXT ? text : `#${createHash('sha256').update(text).digest('base64url')}`;
}

/**
 * The keys a document has: one per declared field (a missing field counts as null).
 * @example documentKeys(resolveCollection(spec), data)
 */
export function documentKeys(collection: ResolvedCollection, data: Record<string, unknown>): DocumentKey[] {
  return collection.fields.map((field) => {
    const value = encodeIndexValue(Object.hasOwn(data, field) ? data[field] : null, `data.${field}`);
    return { field, value, unique: collection.unique.has(field) && value !== 'null' };
  });
}

/** A `list` query, checked: where entries as encoded keys, limit and after. */
export interface ListPlan {
  where: { field: string; value: string }[];
  limit: number | undefined;
  after: string | undefined;
}

/**
 * Checks a `list` query against the collection: `where` may name declared fields only.
 * @example const { where, limit, after } = listPlan(c, query)
 */
export function listPlan(collection: ResolvedCollection, query: DocumentListQuery = {}): ListPlan {
  const where = Object.entries(query.where ?? {}).map(([field, value]) => {
    if (!collection.fields.includes(field)) {
      const declared = collection.fields.length ? collection.fields.join(', ') : 'none';
      throw invalid(`where.${field}`, `is not an indexed field of collection "${collection.name}" (indexed: ${declared})`);
    }
    return { field, value: encodeIndexValue(value, `where.${field}`) };
  });
  const { limit, after } = query;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw invalid('limit', 'must be a whole number of at least 1');
  if (after !== undefined && typeof after !== 'string') throw invalid('after', 'must be a document id');
  return { where, limit, after };
}

/**
 * The `conflict` a write whose `ifVersion` is not met throws.
 * @example throw versionConflict('rules', 'r1', 3, 5)
 */
export function versionConflict(collection: string, id: string, expected: number, actual: number): AetherError {
  const state = actual === 0 ? 'does not exist' : `is at version ${actual}`;
  const wanted = expected === 0 ? 'to be absent' : `at version ${expected}`;
  return new AetherError('conflict', `document "${id}" in "${collection}" ${state}; the write expected it ${wanted}`, {
    details: { conflict: 'version', collection, id, expected, actual },
  });
}

/**
 * The `conflict` a write throws when a unique field's value belongs to another document.
 * @example throw uniqueConflict('alert_rules', 'r2', 'name', 'r1')
 */
export function uniqueConflict(collection: string, id: string, field: string, existingId: string): AetherError {
  return new AetherError('conflict', `"${collection}" already has a document with this ${field} ("${existingId}")`, {
    errors: [{ field, message: 'is already taken' }],
    details: { conflict: 'unique', collection, id, field, existing_id: existingId },
  });
}

/**
 * True for the conflict of an unmet `ifVersion` (worth reading again and retrying), not of a taken unique value.
 * @example if (isVersionConflict(error)) continue
 */
export function isVersionConflict(error: unknown): boolean {
  return isAetherError(error) && error.code === 'conflict' && error.details?.conflict === 'version';
}

/**
 * Orders strings by code point, as SQLite (BINARY) and PostgreSQL (COLLATE "C") order UTF-8 text.
 * @example ids.sort(compareCodePoints)
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate stands for a code point above U+FFFF, which sorts after every other BMP unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    return sx === sy ? x - y : sx ? 1 : -1;
  }
  return a.length - b.length;
}
