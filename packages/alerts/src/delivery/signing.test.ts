import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook, webhookHeaders, webhookSecretKey } from './signing.js';

describe('Standard Webhooks signing', () => {
  it('signs id.timestamp.body with the secret, as the official library expects', () => {
    const secret = generateWebhookSecret();
    const now = Date.now();
    const body = JSON.stringify({ hello: 'wörld', n: 1 });
    const headers = webhookHeaders({ key: webhookSecretKey(secret), id: 'msg_1', now, body });
    expect(headers).toEqual({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/) });
    expect(new Webhook(secret).verify(body, headers)).toEqual({ hello: 'wörld', n: 1 });
    expect(verifyWebhook(secret, headers, body, now)).toBe(true);
    expect(verifyWebhook(secret, headers, `${body} `, now)).toBe(false);
    expect(verifyWebhook(secret, headers, body, now + 301_000)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': `v1,bogus ${headers['webhook-signature']}` }, body, now)).toBe(true);
    expect(webhookHeaders({ key: null, id: 'msg_2', now, body })).not.toHaveProperty('webhook-signature');
  });

  it('matches the Standard Webhooks reference vector', () => {
    // From the spec's test suite: secret MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek.
    const key = webhookSecretKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(signWebhook(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('refuses a secret that is not whsec_ and base64 of 16 to 128 bytes, without repeating it', () => {
    for (const bad of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_short', 'whsec_not*base64*at*all*not*base64*', `whsec_${Buffer.alloc(200).toString('base64')}`]) {
      expect(() => webhookSecretKey(bad, 'ALERT_WEBHOOK_SECRET')).toThrow(/^ALERT_WEBHOOK_SECRET must be a Standard Webhooks secret/);
      try {
        webhookSecretKey(bad);
      } catch (error) {
        expect((error as Error).message).not.toContain(bad.slice(6, 20));
      }
    }
    expect(generateWebhookSecret()).not.toBe(generateWebhookSecret());
  });
});
