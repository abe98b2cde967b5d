import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AetherError } from '@aetherlink/core';

// Standard Webhooks (https://www.standardwebhooks.com): a `whsec_` secret is base64 key bytes; a request carries
// `webhook-id`, `webhook-timestamp` (seconds) and `webhook-signature` = `v1,` + base64(HMAC-SHA256(key,
// `${id}.${timestamp}.${body}`)), space-separated when there are several.

const PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A Standard Webhooks secret's key bytes; throws `validation_failed` (never showing the value) when it is not
 * `whsec_` followed by base64 of 16 to 128 bytes.
 * @example const key = webhookSecretKey(process.env.ALERT_WEBHOOK_SECRET!)
 */
export function webhookSecretKey(secret: string, field = 'secret'): Buffer {
  const body = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : '';
  const key = BASE64.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64') : Buffer.alloc(0);
  if (key.length < 16 || key.length > 128) {
    throw new AetherError('validation_failed', `${field} must be a Standard Webhooks secret: whsec_ followed by base64 of 16 to 128 random bytes`, {
      errors: [{ field, message: 'must be whsec_ followed by base64 of 16 to 128 random bytes' }],
    });
  }
  return key;
}

/**
 * A new secret: `whsec_` and 32 random bytes in base64, as Svix issues them.
 * @example const secret = generateWebhookSecret()
 */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The `webhook-signature` value for one request: `v1,<base64>`.
 * @example signWebhook(key, 'msg_1', 1767225600, '{"a":1}')
 */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/**
 * The three Standard Webhooks headers of one attempt (the signature only with a key).
 * @example headers = { ...webhookHeaders({ key, id: d.webhook_id, now: clock.now(), body }) }
 */
export function webhookHeaders(input: { key: Buffer | null; id: string; now: number; body: string }): Record<string, string> {
  const timestamp = Math.floor(input.now / 1000);
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(timestamp),
    ...(input.key ? { 'webhook-signature': signWebhook(input.key, input.id, timestamp, input.body) } : {}),
  };
}

/**
 * What a receiver does: true when one of the request's `v1` signatures matches and its timestamp is within
 * `toleranceSeconds` of `now`. For sinks and tests; receivers in other languages use their Standard Webhooks library.
 * @example verifyWebhook(secret, req.headers, rawBody, Date.now())
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  now: number,
  toleranceSeconds = 300,
): boolean {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = one('webhook-id');
  const timestamp = Number(one('webhook-timestamp'));
  const signatures = one('webhook-signature');
  if (!id || !signatures || !Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(webhookSecretKey(secret), id, timestamp, body).slice(3), 'base64');
  return signatures.split(' ').some((s) => {
    if (!s.startsWith('v1,')) return false;
    const given = Buffer.from(s.slice(3), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
