// The reference server from a rule to a receiver: events published over the API take a rule from pending to
// firing, `ops.alert.raised` lands in /events/recent, and a Standard Webhooks signed Slack message reaches a real
// sink on 127.0.0.1 under the id of its notice, in the trace of the evaluation that raised it; the episode's end
// sends the resolved message, and a replay reaches the receiver as the same message. Time is real (the server's
// clock): each step waits for what it expects to see, never for an amount of time.
import { generateWebhookSecret } from '@aetherlink/alerts';
import { eventually } from '@aetherlink/core/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookSink, type WebhookSink } from '../../../packages/alerts/src/_testing/sink.js';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
const TOKEN = 'tokenXYZsecretpath';

describe('an alert from the reference server to a receiver', () => {
  let cc: CommandCenter;
  let url: string;
  let sink: WebhookSink;
  const secret = generateWebhookSecret();
  const lines: string[] = [];

  beforeAll(async () => {
    sink = await startWebhookSink();
    const config = loadConfig({
      LOG_LEVEL: 'info',
      AUDIT_LOG: 'off',
      AETHERLINK_DB: ':memory:',
      SELF_REGISTER: 'false',
      // Evaluations come from POST /alerts/evaluate only, each in the caller's trace.
      ALERT_EVAL_INTERVAL_SECONDS: '3600',
      ALERT_WEBHOOKS: `slack+${sink.url}/services/T000/B000/${TOKEN}`,
      ALERT_WEBHOOK_SECRET: secret,
      ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
      DELIVERY_POLL_MS: '100',
    });
    cc = await createCommandCenter(config, { env: {}, logStream: { write: (line: string) => void lines.push(line) } });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.start();
  });
  afterAll(async () => {
    await cc?.close();
    await sink?.close();
  });

  const call = async (method: string, path: string, roles: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'x-user-roles': roles, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const evaluate = async () => (await call('POST', '/alerts/evaluate', 'operator', undefined, { traceparent: TRACEPARENT })).body;
  /** Evaluates until a transition to `to` happens; answers that evaluation's report. */
  const evaluateUntil = (to: string, what: string) =>
    eventually(async () => {
      const report = await evaluate();
      return (report.transitions as { to: string }[]).some((t) => t.to === to) ? report : undefined;
    }, what, 30_000, 100);

  it('rule → events → pending → firing → ops.alert.raised → signed Slack POST at the sink → resolved → replay', async () => {
    // A window wide enough that the rule stays over threshold through `for_seconds` on a busy machine.
    const rule = await call('POST', '/alerts/rules', 'operator', { name: 'autoheal-failures-spike', severity: 'error', event_type: 'autoheal.failed', window_seconds: 6, for_seconds: 1, threshold: 3 });
    expect(rule.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const published = await call('POST', '/events/publish', 'agent', { event_type: 'autoheal.failed', source: 'aether-auto-heal', payload: { service: 'api', error: 'exit 137' }, severity: 'error' });
      expect(published.status).toBe(200);
    }
    expect(await evaluate()).toMatchObject({ alerts: { pending: 1, firing: 0 }, transitions: [{ from: 'inactive', to: 'pending' }], notifications: { sent: 0 } });
    expect(sink.requests).toHaveLength(0);

    const fired = await evaluateUntil('firing', 'the alert firing once for_seconds has passed');
    expect(fired).toMatchObject({ alerts: { firing: 1 }, transitions: [{ from: 'pending', to: 'firing' }], notifications: { sent: 1 } });
    const raised = (await call('GET', '/events/recent?event_type=ops.alert.raised', 'viewer')).body;
    expect(raised).toMatchObject({ count: 1, events: [{ type: 'ops.alert.raised', severity: 'error', subject: 'autoheal-failures-spike', data: { rule_id: rule.body.id, count: 3, threshold: 3 } }] });
    const event = raised.events[0] as { id: string; traceparent: string; data: { episode_id: string } };
    expect(event.traceparent).toBe(TRACEPARENT);

    await eventually(() => sink.requests.length === 1, 'the firing message at the sink');
    const firing = sink.requests[0]!;
    expect(firing.path).toBe(`/services/T000/B000/${TOKEN}`);
    // The official Standard Webhooks library verifies it (and throws on a bad signature or an old timestamp).
    expect(new Webhook(secret).verify(firing.body, firing.headers as Record<string, string>)).toMatchObject({
      text: expect.stringContaining('[FIRING] autoheal-failures-spike'),
      blocks: expect.arrayContaining([expect.objectContaining({ type: 'header', text: expect.objectContaining({ text: '[FIRING] autoheal-failures-spike' }) })]),
    });
    // Its id is the notice's, so a receiver recognises it again; it continues the trace that raised it.
    expect(firing.webhookId).toBe(`${event.data.episode_id}:firing`);
    expect(firing.headers.traceparent).toBe(TRACEPARENT);
    const [delivery] = (await call('GET', '/alerts/deliveries/history', 'viewer')).body.deliveries as { id: string; webhook_id: string; event_id: string }[];
    expect(delivery).toMatchObject({ webhook_id: firing.webhookId, event_id: event.id, event_type: 'ops.alert.raised', rule_id: rule.body.id });
    await eventually(async () => (await call('GET', `/alerts/deliveries/${delivery!.id}`, 'viewer')).body.status === 'delivered', 'the firing delivery recorded as delivered');

    // The events leave the window: the episode resolves, once, with its own message.
    const ended = await evaluateUntil('resolved', 'the alert resolving once its events left the window');
    expect(ended).toMatchObject({ transitions: [{ from: 'firing', to: 'resolved' }], notifications: { sent: 1 } });
    expect((await call('GET', '/events/recent?event_type=ops.alert.resolved', 'viewer')).body).toMatchObject({ count: 1, events: [{ data: { episode_id: event.data.episode_id } }] });
    await eventually(() => sink.requests.length === 2, 'the resolved message at the sink');
    const resolved = sink.requests[1]!;
    expect(new Webhook(secret).verify(resolved.body, resolved.headers as Record<string, string>)).toMatchObject({ text: expect.stringContaining('[RESOLVED] autoheal-failures-spike') });
    expect(resolved.webhookId).toBe(`${event.data.episode_id}:resolved`);

    // A replay is a fresh delivery of the same message: same webhook-id, verified again.
    const replay = await call('POST', `/alerts/deliveries/${delivery!.id}/replay`, 'operator');
    expect(replay.body).toEqual({ status: 'ok', new_id: expect.any(String), original_id: delivery!.id });
    await eventually(() => sink.requests.length === 3, 'the replayed message at the sink');
    expect(sink.requests[2]!.webhookId).toBe(firing.webhookId);
    expect(new Webhook(secret).verify(sink.requests[2]!.body, sink.requests[2]!.headers as Record<string, string>)).toMatchObject({ text: expect.stringContaining('[FIRING]') });
    expect(sink.ids().get(firing.webhookId!)).toBe(2);

    // The sink has the message before the worker has recorded its answer: wait for the third to be settled.
    const scrape = async () => String(await (await fetch(`${url}/metrics`)).text());
    await eventually(async () => (await scrape()).includes('aetherlink_alert_deliveries{status="delivered"} 3'), 'three deliveries recorded as delivered');
    const metrics = await scrape();
    expect(metrics).toContain('aetherlink_alert_deliveries{status="delivered"} 3');
    // Nothing the server wrote names the secret or the webhook's token.
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(secret.slice(6));
    expect(log).not.toContain(TOKEN);
  });
});
