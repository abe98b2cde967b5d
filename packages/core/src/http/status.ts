/** The one table from error codes to HTTP statuses; the HTTP layers (adapters, the AI gateway) read it. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  validation_failed: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  // An outbound target the caller named that the egress policy refuses (metadata, link-local, a deny-listed host).
  egress_refused: 400,
  internal: 500,
  config_invalid: 500,
  upstream_failed: 502,
  unavailable: 503,
  timeout: 504,
};

/**
 * HTTP status for an AetherError code; unknown codes are 500.
 * @example statusForCode('not_found') // 404
 */
export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/**
 * The code that stands for an HTTP status (the reverse of statusForCode, for framework errors).
 * @example codeForStatus(413) // 'payload_too_large'
 */
export function codeForStatus(status: number): string | undefined {
  for (const [code, s] of Object.entries(STATUS_BY_CODE)) if (s === status && code !== 'validation_failed' && code !== 'config_invalid') return code;
  return undefined;
}
