import { isProviderError, ProviderError } from './errors.js';

const REDACTED = '[redacted]';
// Secrets shorter than this cannot be told apart from ordinary words; real keys are far longer.
const MIN_SECRET_LENGTH = 4;

// Credentials that upstream servers echo back in error text, whoever configured them.
const PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${REDACTED}`],
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\b((?:x-)?api[_-]?key|access[_-]?token|secret)(["']?\s*[:=]\s*["']?)[^\s"',;}&]{6,}/gi, `$1$2${REDACTED}`],
];

/**
 * Text with every given secret and anything shaped like a credential (bearer tokens, `sk-…` keys, JWTs, AWS and
 * Google keys, `api_key=…`) replaced by `[redacted]`: upstream error text is passed through it before anything
 * keeps or shows it.
 * @example redactSecrets('Incorrect API key provided: sk-live-abcdef123456', [key]) // 'Incorrect API key provided: [redacted]'
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A provider failure with its message redacted: the same error when there was nothing to hide, else a new
 * ProviderError of the same kind, status and retry advice, without the original (unredacted) cause.
 * @example catch (e) { throw redactError(e, [apiKey]) }
 */
export function redactError(error: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (!(error instanceof Error) && !isProviderError(error)) return error;
  const message = (error as Error).message;
  const clean = redactSecrets(message, secrets);
  if (clean === message) return error;
  if (!isProviderError(error)) return new ProviderError('unknown', clean);
  return new ProviderError(error.kind, clean, {
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    retryable: error.retryable,
    countsAsFailure: error.countsAsFailure,
  });
}
