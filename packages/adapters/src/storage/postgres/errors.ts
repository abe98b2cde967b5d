import { AetherError, isAetherError } from '@aetherlink/core';

// Turns driver and server errors into AetherErrors the HTTP layer understands: anything that means "the
// database cannot be used right now" becomes `unavailable` (503). Messages name host:port/database and never
// the password.

/** Where a store connects, for messages. */
export interface Target {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Only to scrub it from messages. */
  password?: string;
}

/** `host:port/database` (a Unix socket directory stands in for the host). */
export const describeTarget = (t: Target) => `${t.host}:${t.port}/${t.database}`;

// Socket-level failures: the server is down, restarting, unreachable or dropped us.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a Unix socket that is not there
]);

// SQLSTATEs that mean the session cannot go on: admin_shutdown, crash_shutdown, cannot_connect_now,
// too_many_connections, configuration_limit_exceeded; class 08 is connection_exception.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);

// node-postgres reports some losses only by message.
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /query read timeout/i,
  /connection (?:ended|closed|is closed)/i,
  /cannot use a pool after calling end/i,
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  severity?: unknown;
  errors?: unknown;
  constraint?: unknown;
}

const asLike = (error: unknown): ErrorLike => (typeof error === 'object' && error !== null ? (error as ErrorLike) : {});

/** The SQLSTATE of a server error (node-postgres `DatabaseError`), else undefined. */
export function sqlState(error: unknown): string | undefined {
  const e = asLike(error);
  return typeof e.code === 'string' && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
}

/** The constraint a server error names (unique violations), else undefined. */
export const constraintOf = (error: unknown) => {
  const c = asLike(error).constraint;
  return typeof c === 'string' ? c : undefined;
};

function networkCode(error: unknown): string | undefined {
  const e = asLike(error);
  if (typeof e.code === 'string' && sqlState(error) === undefined) return e.code;
  // Node reports a refused dual-stack connect as an AggregateError whose parts carry the code.
  if (Array.isArray(e.errors)) return e.errors.map(networkCode).find((c) => c !== undefined);
  return undefined;
}

/** True when the error means the connection to the server failed or was lost. */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('08') || UNAVAILABLE_STATES.has(state);
  const code = networkCode(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  const message = String(asLike(error).message ?? '');
  return UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

/** Deadlocks and serialization failures: the transaction may simply be run again. */
export const isRetryable = (error: unknown) => ['40P01', '40001'].includes(sqlState(error) ?? '');

/** Removes a password (and any `scheme://user:password@`) from a message. */
export function redact(text: string, password?: string): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
  if (password) out = out.split(password).join('***');
  return out;
}

/** What went wrong, in a few words (AggregateErrors have no message of their own). */
export function reasonOf(error: unknown, password?: string): string {
  const e = asLike(error);
  let text = typeof e.message === 'string' && e.message ? e.message : '';
  if (!text && Array.isArray(e.errors)) text = e.errors.map((x) => reasonOf(x)).filter(Boolean).join('; ');
  if (!text) text = typeof e.code === 'string' ? e.code : String(error);
  return redact(text, password);
}

/**
 * Maps an error from a store operation: connection failures → `unavailable`, statement timeouts → `timeout`,
 * values the server refuses (class 22, e.g. a NUL character) → `validation_failed`; anything else unchanged.
 * @example catch (e) { throw toStoreError(e, target) }
 */
export function toStoreError(error: unknown, target: Target): unknown {
  if (isAetherError(error)) return error;
  const state = sqlState(error);
  const where = describeTarget(target);
  const reason = reasonOf(error, target.password);
  // A lost login or database also means the store cannot be used until an operator acts.
  if (isConnectionFailure(error) || state?.startsWith('28') || state === '3D000') {
    return new AetherError('unavailable', `the database is unreachable: ${reason} (${where})`, { cause: error });
  }
  if (state === '57014') return new AetherError('timeout', `the database did not answer in time: ${reason} (${where})`, { cause: error });
  if (state?.startsWith('22')) return new AetherError('validation_failed', `the database refused a value: ${reason}`, { cause: error });
  return error;
}

// Class 22 SQLSTATEs by the kind of value they refuse.
const DATETIME_STATES = new Set(['22007', '22008', '22009']);
const isJsonState = (state: string) => state === '22P02' || state === '22P05' || state.startsWith('2203');

/**
 * Names the field behind a value the server refused (`validation_failed` from `toStoreError`) when the SQLSTATE
 * tells which kind of value it was: a date/time (`fields.time`) or JSON (`fields.json`). Use it where one row was
 * written, so the field is certain. Anything else is returned unchanged.
 * @example catch (e) { throw nameRefusedValue(e, { time: 'time', json: 'data' }) }
 */
export function nameRefusedValue(error: unknown, fields: { time?: string; json?: string }): unknown {
  if (!isAetherError(error) || error.code !== 'validation_failed' || error.errors?.length) return error;
  const state = sqlState(error.cause);
  const field = state === undefined ? undefined : DATETIME_STATES.has(state) ? fields.time : isJsonState(state) ? fields.json : undefined;
  if (field === undefined) return error;
  return new AetherError('validation_failed', error.message, { cause: error.cause, errors: [{ field, message: 'was refused by the database' }] });
}

/**
 * Maps an error met while opening: a clear message naming host:port and the database, never the password.
 * @example catch (e) { throw toOpenError(e, target) }
 */
export function toOpenError(error: unknown, target: Target): unknown {
  if (isAetherError(error)) return error;
  const state = sqlState(error);
  const at = `${target.host}:${target.port}`;
  const reason = reasonOf(error, target.password);
  if (state === '3D000') {
    return new AetherError('config_invalid', `PostgreSQL at ${at} has no database "${target.database}": ${reason}`, { cause: error });
  }
  if (state?.startsWith('28')) {
    return new AetherError('config_invalid', `PostgreSQL at ${at} refused user "${target.user}" for database "${target.database}": ${reason}`, { cause: error });
  }
  if (isConnectionFailure(error)) {
    return new AetherError('unavailable', `cannot reach PostgreSQL at ${at} (database "${target.database}"): ${reason}`, { cause: error });
  }
  return toStoreError(error, target);
}
