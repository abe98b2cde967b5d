import { createHash } from 'node:crypto';
import { AetherError } from '@aetherlink/core';

// Everything a deployment creates on the server is namespaced by its schema: tables, advisory lock keys and the
// NOTIFY channel, so several deployments (or test runs) can share one server without seeing each other.

const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Throws `config_invalid` unless `schema` is a plain identifier PostgreSQL keeps as written. */
export function checkSchema(schema: string): string {
  if (!SCHEMA_PATTERN.test(schema)) {
    throw new AetherError('config_invalid', `schema: "${schema}" must be letters, digits and "_", at most 63, not starting with a digit`, {
      errors: [{ field: 'schema', message: 'must be letters, digits and "_" (at most 63), not starting with a digit' }],
    });
  }
  return schema;
}

/** Double-quotes an identifier. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `"schema"."table"`. */
export const qualify = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;

/**
 * A 64-bit advisory lock key (as a decimal string for `$1::bigint`) for one purpose within one schema.
 * @example lockKey('public', 'migrate')
 */
export function lockKey(schema: string, purpose: string): string {
  return createHash('sha256').update(`aetherlink:${schema}:${purpose}`).digest().readBigInt64BE(0).toString();
}

/**
 * The NOTIFY channel for events appended in `schema` (channel names are identifiers: at most 63 bytes).
 * @example eventChannel('public') // 'aetherlink_events:public'
 */
export function eventChannel(schema: string): string {
  const plain = `aetherlink_events:${schema}`;
  return Buffer.byteLength(plain) <= 63 ? plain : `aetherlink_events:${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/** An `application_name` (PostgreSQL keeps 63 bytes), so operators can tell our sessions apart in pg_stat_activity. */
export const applicationName = (...parts: string[]) => parts.join(':').slice(0, 63);
