import type { z } from 'zod';

/** Every string code AetherLink raises; apps may add their own. The HTTP layer alone maps codes to statuses. */
export type AetherErrorCode =
  | 'validation_failed'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'egress_refused'
  | 'upstream_failed'
  | 'unavailable'
  | 'timeout'
  | 'config_invalid'
  | 'internal'
  | (string & {});

/** One problem with one input field, named as the caller spelled it. */
export interface FieldError {
  /** Dotted path of the field, e.g. `severity` or `data.email`. */
  field: string;
  message: string;
  /** Where the field was: body, query, params, header or env. */
  in?: string;
}

export interface AetherErrorOptions {
  cause?: unknown;
  /** Extra machine-readable facts, returned to HTTP clients as problem members. */
  details?: Record<string, unknown>;
  errors?: FieldError[];
}

const BRAND = Symbol.for('aetherlink.error');

/**
 * The one error class of AetherLink: a string `code` plus a message written for the person reading it.
 * @example throw new AetherError('not_found', 'no service named "billing" is registered')
 */
export class AetherError extends Error {
  readonly code: AetherErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly errors: FieldError[] | undefined;
  readonly [BRAND] = true;

  constructor(code: AetherErrorCode, message: string, options: AetherErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AetherError';
    this.code = code;
    this.details = options.details;
    this.errors = options.errors;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.errors ? { errors: this.errors } : {}), ...this.details };
  }
}

/**
 * True for any AetherError, even one thrown by another copy of this package (ESM and CJS side by side).
 * @example if (isAetherError(err) && err.code === 'not_found') return null
 */
export function isAetherError(value: unknown): value is AetherError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Turns zod issues into field errors; `rename` maps a dotted path to the name the caller used.
 * @example fieldErrorsFromZod(result.error, { in: 'query' })
 */
export function fieldErrorsFromZod(
  error: z.ZodError,
  options: { in?: string; prefix?: string; rename?: (path: string) => string } = {},
): FieldError[] {
  return error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const parts = [...(options.prefix ? [options.prefix] : []), ...issue.path.map(String), ...(key ? [key] : [])];
      let field = parts.join('.') || (options.in ?? 'value');
      if (options.rename) field = options.rename(field);
      const message = key ? `unknown field "${key}"` : issue.message;
      return options.in ? { field, message, in: options.in } : { field, message };
    });
  }).flat();
}

/**
 * A `validation_failed` error whose message lists every bad field.
 * @example throw validationError([{ field: 'limit', message: 'must be at most 1000' }])
 */
export function validationError(errors: FieldError[], summary = 'the request is invalid'): AetherError {
  const list = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new AetherError('validation_failed', list ? `${summary}: ${list}` : summary, { errors });
}
