import { AetherError, isAetherError, type FieldError } from '../errors.js';
import type { RequestLike } from '../rbac/principal.js';

const PREFIX = 'ce-';

/**
 * The event of a CloudEvents binary-mode request (HTTP binding §3.1): attributes in `ce-*` headers, the data as the
 * body, `Content-Type` as `datacontenttype`. Undefined when the request is not in binary mode: a JSON body (the
 * CloudEvents or the seed shape) or structured mode (`application/cloudevents+json`, the same JSON) carries the
 * event itself.
 * @example const event = binaryModeEvent(ctx.headers, ctx.body) ?? ctx.body
 */
export function binaryModeEvent(headers: RequestLike['headers'], body: unknown): Record<string, unknown> | undefined {
  if (headers['ce-specversion'] === undefined || isStructured(headers['content-type'])) return undefined;
  const event: Record<string, unknown> = {};
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(PREFIX) && typeof value === 'string') event[name.slice(PREFIX.length)] = percentDecoded(value);
  }
  if (body !== undefined) {
    event.data = body;
    const type = headers['content-type'];
    if (typeof type === 'string') event.datacontenttype = type;
  }
  return event;
}

/**
 * Renames the fields of a binary-mode event's validation error to where the publisher put them: attributes to their
 * `ce-*` headers, `datacontenttype` to `Content-Type`, `data.x` to `x` in the body.
 * @example await bus.publish(event).catch((e) => { throw inBinaryModeTerms(e) })
 */
export function inBinaryModeTerms(error: unknown): unknown {
  if (!isAetherError(error) || error.code !== 'validation_failed' || !error.errors) return error;
  const errors = error.errors.map(renamed);
  const list = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new AetherError('validation_failed', `the event is invalid: ${list}`, { errors, ...(error.details ? { details: error.details } : {}), cause: error });
}

function renamed(error: FieldError): FieldError {
  const { field } = error;
  if (field === 'data') return { ...error, field: 'body', in: 'body' };
  if (field.startsWith('data.')) return { ...error, field: field.slice(5), in: 'body' };
  if (field === 'datacontenttype') return { ...error, field: 'content-type', in: 'header' };
  return { ...error, field: `${PREFIX}${field}`, in: 'header' };
}

function isStructured(contentType: string | readonly string[] | undefined): boolean {
  return typeof contentType === 'string' && contentType.split(';')[0]!.trim().toLowerCase() === 'application/cloudevents+json';
}

// The binding percent-encodes what a header cannot carry (non-ASCII, `"`, `%`); senders that do not are taken as sent.
function percentDecoded(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
