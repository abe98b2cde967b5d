import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@aetherlink/core/testing';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWebhookSink, type WebhookSink } from '../../../packages/alerts/src/_testing/sink.js';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';
import { launchChromium } from './browser.js';
import { attachDashboard, healthyServer, type Dashboard } from './dashboard-harness.js';

// The operator console in headless Chromium against one reference server for the whole file, running its loops
// (the delivery worker, auto-heal) and sending alerts to a webhook sink on 127.0.0.1 that fails until it is fixed.
// Each test opens its own browser context and names its own rules, services and events, so tests do not meet.
// Waits are for what each step expects to see (expect.poll, eventually), never for an amount of time.

// The incident waits on three tries of three deliveries, a replay and its delivery: room on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

declare const document: { documentElement: { scrollWidth: number } };
declare const window: { innerWidth: number };

const OPERATOR = { 'x-user-roles': 'operator' };
/** The browser's own console line for an answer the test provokes on purpose. */
const REFUSED_400 = /status of 400/;

describe('operator console in headless Chromium (one reference server for the suite)', () => {
  let browser: Browser;
  let cc: CommandCenter;
  let url: string;
  let sink: WebhookSink;
  let healthy: Server;
  /** The sink answers 503 while this is true: the incident. */
  let outage = true;
  /** The sink answers 500 on /hooks/flaky while this is true. */
  let flaky = true;
  let d: Dashboard | undefined;
  let expected: RegExp[] = [];

  beforeAll(async () => {
    sink = await startWebhookSink((r) =>
      outage ? { status: 503, body: 'upstream maintenance: try later' } : flaky && r.path === '/hooks/flaky' ? { status: 500, body: 'flaky' } : { status: 200, body: 'ok' },
    );
    healthy = await healthyServer();
    cc = await createCommandCenter(
      loadConfig({
        LOG_LEVEL: 'silent',
        AUDIT_LOG: 'off',
        AETHERLINK_DB: ':memory:',
        SELF_REGISTER: 'false',
        PORT: '0',
        HOST: '127.0.0.1',
        // Evaluations come from POST /alerts/evaluate; deliveries are tried three times a moment apart.
        ALERT_EVAL_INTERVAL_SECONDS: '3600',
        ALERT_WEBHOOKS: `webhook+${sink.url}/hooks/ops`,
        ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
        ALERT_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
        DELIVERY_POLL_MS: '100',
        AUTOHEAL_INTERVAL_SECONDS: '1',
      }),
      { env: {} },
    );
    url = await cc.listen();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await cc?.close();
    await sink?.close();
    await new Promise<void>((r) => (healthy ? healthy.close(() => r()) : r()));
  });

  afterEach(async () => {
    await d?.close(expected);
    d = undefined;
    expected = [];
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = OPERATOR) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const publish = async (event: Record<string, unknown>) => {
    const res = await call('POST', '/events/publish', event, { 'x-user-roles': 'agent' });
    expect(res.status).toBe(200);
    return res.body.event_id as string;
  };
  const open = async (view: string, role = 'operator', viewport?: { width: number; height: number }) => {
    d = await attachDashboard(browser, cc, url, { view, ...(viewport ? { viewport } : {}) });
    await d.signIn(role);
    return d;
  };

  it('the incident: failed deliveries, filtered to the last 15 min and failed, one read in the drawer, all replayed in one request and delivered', async () => {
    // A failure from two hours ago, outside the window the operator will pick.
    const old = await cc.stores.deliveries.enqueue({ endpoint: `${sink.url}/hooks/old`, payload: { old: true }, max_attempts: 1, event_type: 'ops.alert.raised' }, Date.now() - 2 * 3_600_000);
    // The incident: a rule fires for three regions while the receiver is down.
    const rule = await call('POST', '/alerts/rules', { name: 'checkout-failures', severity: 'error', event_type: 'checkout.failed', window_seconds: 600, threshold: 1, group_by: ['data.region'] });
    expect(rule.status).toBe(201);
    for (const region of ['eu', 'us', 'ap']) await publish({ event_type: 'checkout.failed', source: 'shop', payload: { region }, severity: 'error' });
    await eventually(async () => (await call('POST', '/alerts/evaluate')).body.alerts.firing === 3, 'the rule firing for the three regions');
    const failed = () => call('GET', '/alerts/deliveries/history?status=dead_letter&since=15m');
    await eventually(async () => (await failed()).body.deliveries.length === 3, 'three deliveries in the dead letter after three tries each', 30_000);
    await eventually(async () => (await call('GET', `/alerts/deliveries/${old.id}`)).body.status === 'dead_letter', 'the old delivery dead-lettered', 30_000);
    const dead = (await failed()).body.deliveries as { id: string; webhook_id: string }[];
    // The receiver is back.
    outage = false;

    const { page } = await open('alerts');
    const rows = page.locator('[data-panel="deliveries"] tbody tr');
    // The default window is the last hour: the incident's three failures and the replays to come, not the old one.
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(3);
    await page.selectOption('[data-panel="deliveries"] select[name="since"]', '15m');
    await page.selectOption('[data-panel="deliveries"] select[name="status"]', 'retrying,dead_letter');
    await expect.poll(() => d!.requests.includes('GET /alerts/deliveries/history?limit=50&since=15m&status=retrying%2Cdead_letter')).toBe(true);
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual(['dead_letter', 'dead_letter', 'dead_letter']);
    expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).sort()).toEqual(dead.map((x) => x.id).sort());
    expect(await rows.first().textContent()).toContain('checkout-failures');
    // The old failure is there under "all".
    await page.selectOption('[data-panel="deliveries"] select[name="since"]', '');
    await expect.poll(() => rows.count()).toBe(4);
    await page.selectOption('[data-panel="deliveries"] select[name="since"]', '15m');
    await expect.poll(() => rows.count()).toBe(3);

    // Open one: its error, its attempts with each answer, its rule and target.
    await rows.first().click();
    await expect.poll(() => page.getAttribute('#drawer', 'data-kind')).toBe('delivery');
    expect(await page.isVisible('#drawer')).toBe(true);
    expect(await page.textContent('#drawer [data-fact="last error"]')).toMatch(/503/);
    expect(await page.textContent('#drawer [data-fact="status"]')).toBe('dead letter');
    expect(await page.textContent('#drawer [data-fact="attempts"]')).toBe('3 of 3');
    expect(await page.textContent('#drawer [data-fact="rule"]')).toBe('checkout-failures');
    expect(await page.textContent('#drawer [data-fact="event type"]')).toBe('ops.alert.raised');
    expect(await page.textContent('#drawer [data-fact="target"]')).toContain(sink.url.replace('http://', ''));
    expect(await page.locator('#drawer [data-attempts] tbody tr').count()).toBe(3);
    expect(await page.locator('#drawer [data-attempt="1"]').textContent()).toContain('503');
    expect(JSON.parse((await page.textContent('#drawer-json'))!)).toMatchObject({ status: 'dead_letter', rule_id: rule.body.id, attempt_log: [{ status_code: 503, response_body: 'upstream maintenance: try later' }, {}, {}] });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('#drawer')).toBe(false);

    // Select all the filtered rows, replay them in one request after a confirmation.
    await page.check('[data-panel="deliveries"] input[data-select="all"]');
    await expect.poll(() => page.textContent('[data-panel="deliveries"] [data-selected]')).toBe('3 selected');
    await page.click('[data-panel="deliveries"] [data-action="bulk-replay"]');
    await expect.poll(() => page.isVisible('dialog.confirm')).toBe(true);
    expect(await page.textContent('dialog.confirm')).toContain('Replay 3 deliveries?');
    const before = d!.requests.length;
    await page.click('dialog.confirm [data-confirm="yes"]');
    const summary = page.locator('[data-panel="deliveries"] [data-replay-summary]');
    await expect.poll(() => summary.getAttribute('data-outcome'), { timeout: 30_000 }).toBe('delivered');
    expect(await summary.getAttribute('data-delivered')).toBe('3');
    expect(await summary.textContent()).toContain('Replayed 3 of 3 deliveries: 3 delivered, 0 failed again, 0 on the way.');
    expect(d!.requests.slice(before).filter((r) => r.startsWith('POST '))).toEqual(['POST /alerts/deliveries/replay-bulk']);
    // The receiver got each message again under its webhook-id.
    for (const x of dead) expect(sink.ids().get(x.webhook_id)).toBe(4);

    // Delivered now: the replays are on the list, each marked as one.
    await page.selectOption('[data-panel="deliveries"] select[name="status"]', 'delivered');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual(['delivered', 'delivered', 'delivered']);
    expect(await rows.locator('[title^="replay of"]').count()).toBe(3);

    // The operator's replay is in the audit trail, and on the events view.
    const trail = await call('GET', '/audit/records?writes=true&path=/alerts/deliveries/replay-bulk');
    expect(trail.body.records).toEqual([expect.objectContaining({ method: 'POST', path: '/alerts/deliveries/replay-bulk', roles: ['operator'], status: 200 })]);
    await page.click('#tab-events');
    await expect.poll(() => page.locator('[data-panel="audit"] tr[data-path="/alerts/deliveries/replay-bulk"]').count()).toBe(1);
    expect(await page.locator('[data-panel="audit"] tr[data-path="/alerts/rules"]').count()).toBe(1);
    // The agents' traffic is not an operator's action.
    expect(await page.locator('[data-panel="audit"] tr[data-path="/events/publish"]').count()).toBe(0);
  });

  it('says what could not be replayed, and replays nothing, when one of the selection cannot be', async () => {
    expected = [REFUSED_400];
    const [endpoint] = (await call('GET', '/alerts/endpoints')).body.endpoints as { id: string }[];
    const parked = await cc.stores.deliveries.enqueue({ endpoint: `${sink.url}/hooks/ops`, endpoint_id: endpoint!.id, payload: { n: 1 }, max_attempts: 1, event_type: 'refusal.test' }, Date.now());
    await eventually(async () => (await call('GET', `/alerts/deliveries/${parked.id}`)).body.status === 'delivered', 'the delivery delivered', 30_000);
    // Its endpoint is disabled since: replaying it would go nowhere.
    expect((await call('PATCH', `/alerts/endpoints/${endpoint!.id}`, { enabled: false })).status).toBe(200);
    try {
      const { page } = await open('alerts');
      const row = page.locator(`[data-panel="deliveries"] tr[data-id="${parked.id}"]`);
      await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
      await row.locator('input[type="checkbox"]').check();
      await page.click('[data-panel="deliveries"] [data-action="bulk-replay"]');
      await page.click('dialog.confirm [data-confirm="yes"]');
      const summary = page.locator('[data-panel="deliveries"] [data-replay-summary]');
      await expect.poll(() => summary.getAttribute('data-outcome')).toBe('refused');
      expect(await summary.textContent()).toMatch(/^Nothing was replayed: 400: 1 of 1 deliveries cannot be replayed/);
      expect(await summary.locator(`li[data-id="${parked.id}"]`).textContent()).toContain('is disabled');
      expect((await call('GET', `/alerts/deliveries/history?status=pending,delivering,delivered&since=15m`)).body.deliveries.filter((x: { replay_of: string | null }) => x.replay_of === parked.id)).toEqual([]);
    } finally {
      await call('PATCH', `/alerts/endpoints/${endpoint!.id}`, { enabled: true });
    }
  });

  it('selects every delivery matching the filters, over more pages than are shown, for one replay', async () => {
    const at = Date.now() - 20 * 60_000;
    for (let i = 0; i < 60; i++) await cc.stores.deliveries.enqueue({ endpoint: `${sink.url}/hooks/pages`, payload: { i }, max_attempts: 1, event_type: 'page.test' }, at);
    const matching = async () => {
      let ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { deliveries: { id: string }[]; next_cursor: string | null } = (await call('GET', `/alerts/deliveries/history?since=1h&status=delivered&limit=500${cursor ? `&cursor=${cursor}` : ''}`)).body;
        ids = [...ids, ...page.deliveries.map((x) => x.id)];
        cursor = page.next_cursor;
      } while (cursor);
      return ids;
    };
    await eventually(async () => (await call('GET', '/alerts/deliveries/stats')).body.queue_depth === 0, 'the 60 deliveries sent', 30_000);
    const ids = await matching();
    expect(ids.length).toBeGreaterThan(60);
    const { page } = await open('alerts');
    await page.selectOption('[data-panel="deliveries"] select[name="status"]', 'delivered');
    const rows = page.locator('[data-panel="deliveries"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(50);
    await page.check('[data-panel="deliveries"] input[data-select="all"]');
    await expect.poll(() => page.textContent('[data-panel="deliveries"] [data-selected]')).toBe('50 selected');
    await page.click('[data-panel="deliveries"] [data-action="select-matching"]');
    await expect.poll(() => page.textContent('[data-panel="deliveries"] [data-selected]')).toBe(`${ids.length} selected (every delivery matching the filters)`);
    expect(await page.textContent('[data-panel="deliveries"] [data-action="bulk-replay"]')).toBe(`Replay ${ids.length} selected`);
    // Cancelled at the confirmation: nothing is sent.
    await page.click('[data-panel="deliveries"] [data-action="bulk-replay"]');
    await page.click('dialog.confirm [data-confirm="no"]');
    await expect.poll(() => page.locator('dialog.confirm').count()).toBe(0);
    expect(d!.requests.filter((r) => r.startsWith('POST '))).toEqual([]);
  });

  it('retries one delivery from the drawer and follows the new one there until it is delivered', async () => {
    const original = await cc.stores.deliveries.enqueue({ endpoint: `${sink.url}/hooks/flaky`, payload: { n: 1 }, max_attempts: 1, event_type: 'retry.test' }, Date.now());
    await eventually(async () => (await call('GET', `/alerts/deliveries/${original.id}`)).body.status === 'dead_letter', 'the delivery dead-lettered', 30_000);
    flaky = false;
    const { page } = await open('alerts');
    const row = page.locator(`[data-panel="deliveries"] tr[data-id="${original.id}"]`);
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await row.click();
    await expect.poll(() => page.textContent('#drawer [data-fact="last error"]')).toContain('500');
    await page.click('#drawer [data-action="retry"]');
    await expect.poll(() => page.textContent('#drawer [data-fact="replay of"]')).toBe(original.id);
    const next = (await page.textContent('#drawer-title'))!.replace('Delivery ', '');
    expect(next).not.toBe(original.id);
    await expect.poll(async () => {
      await page.click('#drawer [data-drawer="reload"]');
      return page.textContent('#drawer [data-fact="status"]');
    }, { timeout: 20_000 }).toBe('delivered');
    expect((await call('GET', `/alerts/deliveries/${next}`)).body).toMatchObject({ status: 'delivered', replay_of: original.id, webhook_id: original.webhook_id });
  });

  it('materializes a template with one click, toggles a rule, and previews when it would have fired, drawn as a chart', async () => {
    // Six events half an hour ago: a rule over two in five minutes fires once, then resolves.
    for (let i = 0; i < 6; i++) await cc.bus.publish({ type: 'preview.hit', source: 'test', severity: 'error', data: { i }, time: new Date(Date.now() - 30 * 60_000 + i * 1000).toISOString() });
    const { page } = await open('alerts');
    const template = page.locator('[data-panel="alert-templates"] li[data-template="ai-fallback-failures"]');
    await template.locator('[data-action="materialize"]').click();
    const materialized = page.locator('[data-panel="alert-rules"] tr[data-name="ai-fallback-failures"]');
    await expect.poll(() => materialized.count()).toBe(1);
    expect(await materialized.textContent()).toContain('5× ai.fallback.failed in 10 min');
    const id = (await materialized.getAttribute('data-rule'))!;
    expect((await call('GET', `/alerts/rules/${id}`)).body).toMatchObject({ name: 'ai-fallback-failures', enabled: true, event_type: 'ai.fallback.failed' });

    // Disable it and enable it again.
    await materialized.locator('[data-action="toggle"]').uncheck();
    await expect.poll(async () => (await call('GET', `/alerts/rules/${id}`)).body.enabled).toBe(false);
    await expect.poll(() => materialized.getAttribute('data-enabled')).toBe('false');
    await materialized.locator('[data-action="toggle"]').check();
    await expect.poll(async () => (await call('GET', `/alerts/rules/${id}`)).body.enabled).toBe(true);

    // A new rule through the form: a bad threshold is named, a good one is created, and its preview drawn.
    await page.click('[data-panel="alert-rules"] [data-action="new-rule"]');
    const form = page.locator('[data-panel="alert-rules"] form[data-form="rule"]');
    await form.locator('input[name="name"]').fill('preview-hits');
    await form.locator('input[name="event_type"]').fill('preview.hit');
    await form.locator('input[name="threshold"]').fill('0');
    await form.locator('input[name="window_seconds"]').fill('300');
    await form.locator('[data-action="create-rule"]').click();
    await expect.poll(() => form.locator('[data-field-error="threshold"]').textContent()).toBe('must be at least 1');
    expected = [REFUSED_400];
    await form.locator('input[name="threshold"]').fill('2');
    await form.locator('[data-action="create-rule"]').click();
    const created = page.locator('[data-panel="alert-rules"] tr[data-name="preview-hits"]');
    await expect.poll(() => created.count()).toBe(1);
    await created.locator("[data-preview-rule]").click();
    const preview = page.locator('[data-panel="alert-rules"] [data-preview]');
    await expect.poll(() => preview.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    expect(await preview.getAttribute('data-episodes')).toBe('1');
    expect(await preview.locator('svg.backtest rect.firing').count()).toBe(1);
    expect(await preview.locator('[data-preview-summary]').textContent()).toMatch(/^It would have fired 1 time/);
    expect(d!.requests).toContain('POST /alerts/rules/preview');
    // Delete it, after a confirmation.
    await created.locator('[data-action="delete"]').click();
    await page.click('dialog.confirm [data-confirm="yes"]');
    await expect.poll(() => created.count()).toBe(0);
    expect((await call('GET', '/alerts/rules')).body.rules.some((r: { name: string }) => r.name === 'preview-hits')).toBe(false);
  });

  it('shows auto-heal: cards, configuration, registered vs monitored, why, and puts a service in maintenance and quarantine', async () => {
    await cc.registry.register({ name: 'payments', url: `http://127.0.0.1:${(healthy.address() as AddressInfo).port}`, version: '1.0.0' });
    await eventually(async () => ((await call('GET', '/autoheal/status')).body.services as { name: string }[]).some((s) => s.name === 'payments'), 'auto-heal watching payments', 30_000);
    const { page } = await open('autoheal');
    await expect.poll(() => d!.state('autoheal-stats')).toBe('ready');
    expect(await page.textContent('[data-panel="autoheal-stats"] [data-card="total_attempts"] .big')).toBe('0');
    await expect.poll(() => page.textContent('[data-panel="autoheal-config"] [data-config="interval"]')).toBe('1 s');
    expect(await page.textContent('[data-panel="autoheal-config"] [data-config="runtime"]')).toMatch(/^none/);
    await expect.poll(() => page.getAttribute('[data-panel="reconcile"] tr[data-reconcile="payments"]', 'data-verdict')).toBe('both');

    // Why: the engine's answer for payments.
    await page.click('[data-panel="autoheal-why"] li[data-watched="payments"]');
    await expect.poll(() => page.textContent('[data-panel="autoheal-why"] [data-why] h3')).toBe('payments');
    await expect.poll(() => page.getAttribute('[data-panel="autoheal-why"] [data-decision]', 'data-reason')).toBe('healthy');

    // Maintenance for an hour, with a reason.
    await page.selectOption('[data-panel="maintenance"] select[name="service"]', 'payments');
    await page.fill('[data-panel="maintenance"] input[name="reason"]', 'deploying 2.5.0');
    await page.click('[data-panel="maintenance"] [data-action="set-window"]');
    const window_ = page.locator('[data-panel="maintenance"] li[data-window-service="payments"]');
    await expect.poll(() => window_.getAttribute('data-in-force')).toBe('true');
    expect(await window_.textContent()).toContain('deploying 2.5.0');
    const windows = (await call('GET', '/autoheal/maintenance')).body.windows as { service: string; kind: string; reason: string; ends_at: string | null }[];
    expect(windows).toEqual([expect.objectContaining({ service: 'payments', kind: 'maintenance', reason: 'deploying 2.5.0', ends_at: expect.any(String) })]);
    await expect.poll(() => page.textContent('[data-panel="autoheal-why"] [data-why-fact="windows"]')).toContain('deploying 2.5.0');

    // Quarantine, then release.
    await page.click('[data-panel="autoheal-why"] [data-action="quarantine"]');
    await page.click('dialog.confirm [data-confirm="yes"]');
    await expect.poll(async () => (await call('GET', '/autoheal/services/payments')).body.quarantine?.reason).toBe('operator');
    await page.click('[data-panel="autoheal-why"] [data-action="release"]');
    await expect.poll(async () => (await call('GET', '/autoheal/services/payments')).body.quarantine).toBe(null);

    // End the window early.
    await window_.locator('[data-action="end-window"]').click();
    await expect.poll(() => window_.count()).toBe(0);
    expect((await call('GET', '/autoheal/maintenance')).body.windows).toEqual([]);
  });

  it('narrows rules, templates, deliveries and event history to the tenant picked in the header', async () => {
    expect((await call('POST', '/alerts/rules', { name: 'acme-orders', event_type: 'order.failed', window_seconds: 60, threshold: 1, tenant: 'acme' })).status).toBe(201);
    const { page } = await open('alerts');
    await expect.poll(() => page.locator('[data-panel="alert-rules"] tr[data-name="checkout-failures"]').count()).toBe(1);
    await page.fill('#tenant', 'acme');
    await page.press('#tenant', 'Enter');
    await expect.poll(() => page.locator('[data-panel="alert-rules"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')))).toEqual(['acme-orders']);
    expect(d!.requests).toEqual(expect.arrayContaining(['GET /alerts/rules?tenant=acme', 'GET /alerts/templates?tenant=acme', 'GET /alerts/deliveries/history?limit=50&since=1h&tenant_id=acme']));
    await expect.poll(() => d!.state('deliveries')).toBe('empty');
    await page.click('#tab-events');
    await expect.poll(() => d!.requests.includes('GET /events/recent?limit=50&since=1h&tenant_id=acme')).toBe(true);
    // Back to every tenant.
    await page.fill('#tenant', '');
    await page.press('#tenant', 'Enter');
    await page.click('#tab-alerts');
    await expect.poll(() => page.locator('[data-panel="alert-rules"] tr[data-name="checkout-failures"]').count()).toBe(1);
  });

  it('shows a published event arriving on the live stream', async () => {
    const { page } = await open('overview');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    const id = await publish({ event_type: 'console.live', source: 'test', payload: { n: 1 }, severity: 'warning' });
    await expect.poll(() => page.locator(`[data-panel="live"] li[data-id="${id}"]`).count()).toBe(1);
    expect(await page.getAttribute(`[data-panel="live"] li[data-id="${id}"]`, 'data-severity')).toBe('warning');
  });

  it('offers a viewer no action on the alerts and auto-heal views, and asks for nothing it may not see', async () => {
    const { page } = await open('alerts', 'viewer');
    await expect.poll(() => d!.state('alert-templates')).toBe('ready');
    await expect.poll(() => d!.state('deliveries')).toBe('ready');
    await expect.poll(() => d!.state('endpoints')).toBe('ready');
    await expect.poll(() => d!.state('alert-rules')).toBe('ready');
    expect(await page.locator('#view-alerts [data-action]').count()).toBe(0);
    expect(await page.locator('#view-alerts input[type="checkbox"]').count()).toBe(0);
    // A delivery opens for a viewer too, without a retry.
    await page.locator('[data-panel="deliveries"] tbody tr').first().click();
    await expect.poll(() => page.getAttribute('#drawer', 'data-kind')).toBe('delivery');
    expect(await page.locator('#drawer [data-action]').count()).toBe(0);
    await page.keyboard.press('Escape');
    // Previews are for every reader.
    expect(await page.locator('#view-alerts [data-preview-rule]').count()).toBeGreaterThan(0);
    await page.click('#tab-autoheal');
    await expect.poll(() => d!.state('maintenance')).not.toBe('loading');
    await expect.poll(() => d!.state('autoheal-why')).toBe('ready');
    expect(await page.locator('#view-autoheal [data-action]').count()).toBe(0);
    expect(await page.isVisible('[data-panel="maintenance"] form')).toBe(false);
    expect(await d!.state('reconcile')).toBe('denied');
    await page.click('#tab-events');
    expect(await d!.state('audit')).toBe('denied');
    expect(d!.requests.filter((r) => /^(POST|PUT|PATCH|DELETE) |\/ops\/services|\/audit\//.test(r))).toEqual([]);
  });

  it('keeps the alerts and auto-heal views within a narrow window', async () => {
    for (const view of ['alerts', 'autoheal']) {
      const { page } = await open(view, 'operator', { width: 390, height: 844 });
      await expect.poll(() => d!.state(view === 'alerts' ? 'deliveries' : 'autoheal-why')).toBe('ready');
      expect(await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])).toEqual([390, 390]);
      await d!.close();
      d = undefined;
    }
  });
});
