import { isUtf8 } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { codeForStatus, isAetherError, statusForCode, validationError, type AetherError, type FieldError } from '@aetherlink/core';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemBody;
  /** True when the error was not one we expected: log it. */
  unexpected: boolean;
}

export { statusForCode };

/**
 * Null for a body of UTF-8 text, else the 400 naming `body`. JSON is UTF-8 (RFC 8259 §8.1); decoding anything else
 * would store U+FFFD in place of what was sent, so the sender would never learn its data was changed.
 * @example const refused = utf8BodyError(buffer); if (refused) throw refused
 */
export function utf8BodyError(body: Uint8Array): AetherError | null {
  return isUtf8(body) ? null : validationError([{ field: 'body', message: 'is not valid UTF-8', in: 'body' }], 'the request body is not valid UTF-8');
}

/**
 * Builds an RFC 9457 problem from anything thrown: AetherErrors by their code, framework and body-parser
 * errors by their 4xx status, everything else as a 500 that does not leak internals.
 * @example const p = toProblem(err, req.url); res.status(p.status).set(p.headers).json(p.body)
 */
export function toProblem(error: unknown, instance?: string): Problem {
  if (isAetherError(error)) {
    const status = statusForCode(error.code);
    const { www_authenticate, retry_after_seconds, ...extra } = error.details ?? {};
    const headers: Record<string, string> = { 'content-type': 'application/problem+json; charset=utf-8' };
    if (typeof www_authenticate === 'string') headers['www-authenticate'] = www_authenticate;
    if (typeof retry_after_seconds === 'number') headers['retry-after'] = String(Math.ceil(retry_after_seconds));
    if (status === 500) return internal(instance, error);
    return {
      status,
      headers,
      unexpected: false,
      body: make(status, error.code, error.message, instance, error.errors, extra),
    };
  }
  const status = frameworkStatus(error);
  if (status !== undefined && status >= 400 && status < 500) {
    const { code, detail, errors } = describeFrameworkError(error as FrameworkError, status);
    return {
      status,
      headers: { 'content-type': 'application/problem+json; charset=utf-8' },
      unexpected: false,
      body: make(status, code, detail, instance, errors),
    };
  }
  return internal(instance, error);
}

function internal(instance: string | undefined, _error: unknown): Problem {
  return {
    status: 500,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    unexpected: true,
    body: make(500, 'internal', 'an unexpected error occurred; it has been logged on the server', instance),
  };
}

function make(status: number, code: string, detail: string, instance?: string, errors?: FieldError[], extra: Record<string, unknown> = {}): ProblemBody {
  return {
    ...extra,
    type: `urn:aetherlink:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(instance ? { instance } : {}),
    ...(errors?.length ? { errors } : {}),
  };
}

interface FrameworkError {
  status?: number;
  statusCode?: number;
  code?: string;
  type?: string;
  message?: string;
  limit?: number;
}

function frameworkStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as FrameworkError;
  const status = e.statusCode ?? e.status;
  return typeof status === 'number' ? status : undefined;
}

// Express (body-parser) and Fastify name the same failures differently; clients see one vocabulary.
function describeFrameworkError(e: FrameworkError, status: number): { code: string; detail: string; errors?: FieldError[] } {
  const kind = e.type ?? e.code ?? '';
  if (status === 413 || kind === 'entity.too.large' || kind === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { code: 'payload_too_large', detail: 'the request body is larger than this endpoint accepts', errors: [{ field: 'body', message: 'is too large', in: 'body' }] };
  }
  if (kind === 'entity.parse.failed' || kind === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(e.message ?? '')) {
    return { code: 'bad_request', detail: 'the request body is not valid JSON', errors: [{ field: 'body', message: 'is not valid JSON', in: 'body' }] };
  }
  if (kind === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { code: 'bad_request', detail: 'the request body is empty but declared as JSON', errors: [{ field: 'body', message: 'is empty', in: 'body' }] };
  }
  if (status === 415) {
    return { code: 'unsupported_media_type', detail: 'send the body as application/json', errors: [{ field: 'content-type', message: 'must be application/json', in: 'header' }] };
  }
  // Fastify's FST_ERR_BAD_URL and Express's failed param decoding are both URIErrors.
  if (kind === 'FST_ERR_BAD_URL' || (status === 400 && e instanceof URIError)) {
    return { code: 'bad_request', detail: 'the URL path is not valid percent-encoding', errors: [{ field: 'path', message: 'is not valid percent-encoding', in: 'path' }] };
  }
  if (status === 414 || kind === 'FST_ERR_MAX_PARAM_LENGTH') {
    return { code: 'uri_too_long', detail: 'a path segment is longer than this server accepts', errors: [{ field: 'path', message: 'is too long', in: 'path' }] };
  }
  if (kind === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || kind === 'request.size.invalid') {
    return { code: 'bad_request', detail: 'the Content-Length header does not match the body' };
  }
  return { code: codeForStatus(status) ?? 'bad_request', detail: e.message || TITLES[status] || 'the request was rejected' };
}

const CLIENT_ERRORS: Record<string, [status: number, code: string, detail: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request_header_fields_too_large', 'the request headers are larger than this server accepts'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'payload_too_large', 'the chunk extensions are larger than this server accepts'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
};

/**
 * A `clientError` listener for any Node HTTP server: requests Node's parser refuses before any framework sees them
 * (oversized headers → 431, bad HTTP → 400, too slow → 408) are answered as problem+json too.
 * @example server.on('clientError', problemOnClientError) // Fastify: Fastify({ clientErrorHandler: problemOnClientError })
 */
export function problemOnClientError(error: Error & { code?: string }, socket: Duplex): void {
  // Nothing to answer on a reset connection, or once a response on this socket has begun (as Node's own handler).
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const [status, code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'bad_request', 'the request is not valid HTTP'];
  const body = JSON.stringify(make(status, code, detail));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
