import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingNotifier } from '../../../packages/alerts/src/_testing/harness.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

// The reference server end to end: a rule over the API, events published over the API, an evaluation, and the
// alert as an `ops.alert.raised` event in /events/recent, handed once to the notifier.

describe('alert rules on the reference server', () => {
  let cc: CommandCenter;
  let url: string;
  const notifier = recordingNotifier();
  beforeAll(async () => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:', SELF_REGISTER: 'false', ALERT_EVAL_INTERVAL_SECONDS: '3600' }), { env: {}, alertNotifier: notifier });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.start();
  });
  afterAll(() => cc.close());

  const call = async (method: string, path: string, roles: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'x-user-roles': roles, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as Record<string, any> };
  };

  it('rule → published events → evaluate → ops.alert.raised in /events/recent and one notice', async () => {
    const rule = await call('POST', '/alerts/rules', 'operator', { name: 'autoheal-failures-spike', severity: 'error', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3, enabled: true });
    expect(rule.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const published = await call('POST', '/events/publish', 'agent', { event_type: 'autoheal.failed', source: 'aether-auto-heal', payload: { service: 'api', error: 'exit 137' }, severity: 'error' });
      expect(published.status).toBe(200);
    }
    const report = await call('POST', '/alerts/evaluate', 'operator');
    expect(report.body).toMatchObject({ alerts: { firing: 1 }, notifications: { sent: 1 } });
    const recent = await call('GET', '/events/recent?event_type=ops.alert.raised', 'viewer');
    expect(recent.body).toMatchObject({
      count: 1,
      events: [{ type: 'ops.alert.raised', source: 'aetherlink-command-center', severity: 'error', subject: 'autoheal-failures-spike', data: { rule_id: rule.body.id, rule_name: 'autoheal-failures-spike', count: 3, threshold: 3, window_seconds: 300 } }],
    });
    expect(notifier.notices).toEqual([expect.objectContaining({ status: 'firing', event_id: recent.body.events[0].id, rule: expect.objectContaining({ name: 'autoheal-failures-spike', severity: 'error' }) })]);

    expect((await call('POST', '/alerts/evaluate', 'operator')).body).toMatchObject({ transitions: [], notifications: { sent: 0 } });
    expect((await call('GET', '/events/recent?event_type=ops.alert.raised', 'viewer')).body.count).toBe(1);
    const metrics = await call('GET', '/metrics', 'viewer');
    expect(String(metrics.body)).toMatch(/aetherlink_alerts_firing\{rule="autoheal-failures-spike"\} 1/);
    expect(String(metrics.body)).toMatch(/aetherlink_alerts_notifications_total\{outcome="sent"\} 1/);
  });

  it('serves the templates and the OpenAPI document names the alert routes', async () => {
    expect((await call('GET', '/alerts/templates', 'viewer')).body.count).toBeGreaterThanOrEqual(5);
    const doc = (await call('GET', '/openapi.json', 'viewer')).body as { paths: Record<string, unknown> };
    for (const path of ['/alerts/rules', '/alerts/rules/{id}', '/alerts/rules/{id}/enabled', '/alerts/evaluate', '/alerts/rules/preview', '/alerts/templates', '/alerts/templates/{id}/materialize', '/alerts/silences']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });

  it('names ALERT_EVAL_INTERVAL_SECONDS when it is wrong', () => {
    expect(() => loadConfig({ ALERT_EVAL_INTERVAL_SECONDS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ALERT_EVAL_INTERVAL_SECONDS: 'soon' })).toThrow(/ALERT_EVAL_INTERVAL_SECONDS: must be a number of seconds/);
    expect(loadConfig({}).ALERT_EVAL_INTERVAL_SECONDS).toBe(15);
  });
});
