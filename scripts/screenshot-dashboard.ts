// `pnpm screenshot`: renders each main view of the dashboard with demo data in headless Chromium and saves them
// under docs/: dashboard.png (the overview, shown in the README), dashboard-events.png, dashboard-autoheal.png,
// dashboard-alerts.png (the incident: failed deliveries of the last 15 minutes, all selected), dashboard-delivery.png
// (one open in the drawer), dashboard-rules.png (a rule's backtest), dashboard-light.png (the system's light
// setting) and dashboard-narrow.png (a phone). The data is real: a rule fires while a webhook receiver is down, and
// auto-heal restarts a broken service through a recording runtime.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { recordingRuntime } from '@aetherlink/core/testing';
import { startFakeLlmServer } from '../packages/ai-router/src/_testing/fake-llm-server.js';
import { startWebhookSink } from '../packages/alerts/src/_testing/sink.js';
import { loadConfig } from '../examples/command-center/src/config.js';
import { createCommandCenter } from '../examples/command-center/src/server.js';
import { launchChromium } from '../examples/command-center/test/browser.js';

const docs = (name: string) => new URL(`../docs/${name}`, import.meta.url).pathname;

// Fake AI providers (Claude overloaded, OpenAI answering) and a few services in every state, all on 127.0.0.1.
const fake = await startFakeLlmServer();
fake.set('claude', { kind: 'status', status: 529 });
fake.set('openai', { kind: 'ok', text: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines' }), delayMs: 180 });
// A receiver that is down for the on-call pager and up for Slack.
const sink = await startWebhookSink((r) => (r.path.startsWith('/hooks/pager') ? { status: 503, body: 'pager gateway: upstream maintenance, try later' } : { status: 200, body: 'ok' }));
// Services auto-heal may restart: broken ones answer 500 until their (recorded) restart.
const broken = new Set(['billing-worker']);
const runtime = recordingRuntime({ workloads: { billing: {}, 'crm-ui': {}, notifications: {}, search: {}, 'billing-worker': {} } });
const restart = runtime.restart.bind(runtime);
runtime.restart = async (id, options) => {
  const result = await restart(id, options);
  broken.delete(id);
  return result;
};
const cc = await createCommandCenter(
  loadConfig({
    LOG_LEVEL: 'silent',
    AUDIT_LOG: 'off',
    AETHERLINK_DB: ':memory:',
    SELF_REGISTER: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
    ALERT_EVAL_INTERVAL_SECONDS: '3600',
    ALERT_WEBHOOKS: `webhook+${sink.url}/hooks/pager,slack+${sink.url}/services/T0/B0/demo`,
    ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
    ALERT_WEBHOOK_RETRY_SCHEDULE: '200ms,200ms',
    DELIVERY_POLL_MS: '100',
    AUTOHEAL_INTERVAL_SECONDS: '1',
    AUTOHEAL_FAILURE_THRESHOLD: '2',
  }),
  {
    runtime,
    env: {
    PROVIDER_ORDER: 'claude,openai,ollama',
    ANTHROPIC_BASE_URL: fake.baseUrl('claude', 'anthropic'),
    ANTHROPIC_API_KEY: 'demo',
    OPENAI_BASE_URL: fake.baseUrl('openai', 'openai'),
    OPENAI_API_KEY: 'demo',
    OLLAMA_BASE_URL: fake.baseUrl('ollama', 'ollama'),
    },
  },
);
const url = await cc.listen();
const now = Date.now();
type Severity = 'info' | 'warning' | 'error' | 'critical';
const demo: { type: string; source: string; severity: Severity; data: unknown; agoMin: number; tenantid?: string }[] = [
  { type: 'service.registered', source: 'registry', severity: 'info', data: { name: 'billing', url: 'http://billing:8080', version: '2.4.1' }, agoMin: 52 },
  { type: 'service.registered', source: 'registry', severity: 'info', data: { name: 'crm-ui', url: 'http://crm-ui:5173' }, agoMin: 47 },
  { type: 'lead.created', source: 'customer-ops', severity: 'info', data: { lead_id: 311, name: 'Ada Lovelace', company: 'Analytical' }, agoMin: 41, tenantid: 'acme' },
  { type: 'ai.provider.used', source: 'ai-router', severity: 'info', data: { provider: 'claude', intent: 'extract-lead', latency_ms: 812 }, agoMin: 41, tenantid: 'acme' },
  { type: 'service.health.failed', source: 'registry', severity: 'warning', data: { name: 'billing', status: 'degraded', error: 'HTTP 429', latency_ms: 40 }, agoMin: 33 },
  { type: 'ai.fallback.used', source: 'ai-router', severity: 'warning', data: { provider: 'ollama', intent: 'summarize-activity', failed: [{ provider: 'claude', error: 'timeout after 8000 ms' }] }, agoMin: 28, tenantid: 'acme' },
  { type: 'autoheal.attempted', source: 'autoheal', severity: 'warning', data: { service: 'billing', reason: '3 failed checks', attempt: 1 }, agoMin: 21 },
  { type: 'autoheal.failed', source: 'autoheal', severity: 'error', data: { service: 'billing', error: 'still failing /ping after restart' }, agoMin: 19 },
  { type: 'autoheal.attempted', source: 'autoheal', severity: 'warning', data: { service: 'billing', reason: '3 failed checks', attempt: 2 }, agoMin: 9 },
  { type: 'autoheal.succeeded', source: 'autoheal', severity: 'info', data: { service: 'billing', duration_ms: 4210 }, agoMin: 8 },
  { type: 'ops.alert.raised', source: 'alerts', severity: 'critical', data: { rule_id: 'r-7', rule_name: 'autoheal-failures-spike', count: 3, threshold: 2, window_seconds: 300 }, agoMin: 6 },
  { type: 'lead.created', source: 'customer-ops', severity: 'info', data: { lead_id: 312, name: 'Grace Hopper', company: 'Navy' }, agoMin: 3, tenantid: 'globex' },
];
for (const e of demo) {
  await cc.bus.publish({ type: e.type, source: e.source, severity: e.severity, data: e.data, time: new Date(now - e.agoMin * 60_000).toISOString(), ...(e.tenantid ? { tenantid: e.tenantid } : {}) });
}
// Background traffic for the chart: steady leads and probes over the hour, and an incident 25–18 minutes ago.
let seed = 7;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
for (let minute = 60; minute >= 1; minute--) {
  const incident = minute <= 25 && minute >= 18;
  const count = Math.round(2 + random() * 4 + (incident ? 6 : 0));
  for (let i = 0; i < count; i++) {
    const roll = random();
    const severity: Severity = incident ? (roll < 0.35 ? 'error' : roll < 0.45 ? 'critical' : roll < 0.8 ? 'warning' : 'info') : roll < 0.85 ? 'info' : roll < 0.97 ? 'warning' : 'error';
    const time = new Date(now - minute * 60_000 + Math.floor(random() * 60_000)).toISOString();
    await cc.bus.publish({ type: severity === 'info' ? 'lead.created' : 'service.health.failed', source: severity === 'info' ? 'customer-ops' : 'registry', severity, time, data: severity === 'info' ? { lead_id: 1000 + minute * 10 + i } : { name: 'search', status: 'down', error: 'HTTP 500', latency_ms: 3 } });
  }
}

const servers: Server[] = [];
const serve = async (status: number, delayMs = 0, name = '') => {
  const server = createServer((_req, res) => setTimeout(() => res.writeHead(broken.has(name) ? 500 : status, { 'content-type': 'application/json' }).end('{"status":"ok"}'), delayMs));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
for (const [name, status, delay, tags] of [
  ['billing', 200, 12, ['pay']],
  ['billing-worker', 200, 8, ['pay']],
  ['crm-ui', 200, 45, ['ui']],
  ['notifications', 429, 5, ['messaging']],
  ['search', 500, 3, ['core']],
] as const) {
  await cc.registry.register({ name, url: await serve(status, delay, name), version: '2.4.1', tags: [...tags] });
}
await cc.checker.checkAll();

const call = async (method: string, path: string, body?: unknown, roles = 'operator') => {
  const res = await fetch(`${url}${path}`, { method, headers: { 'x-user-roles': roles, 'x-user-id': 'grace', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as any;
};

// Earlier heals, for the timeline and the cards; the engine adds its own as it restarts billing-worker.
const heal = (agoMin: number, service: string, outcome: 'succeeded' | 'failed' | 'skipped', reason: string, message: string, durationMs: number | null) =>
  cc.stores.heal.append({
    id: `demo-${agoMin}-${service}`, ts: new Date(now - agoMin * 60_000).toISOString(), service, action: 'restart', outcome, reason, message,
    probe: { check: 'http', status_code: 500, latency_ms: 4, error: 'HTTP 500' }, attempt: 1, delay_ms: 0,
    detected_at: new Date(now - agoMin * 60_000 - 40_000).toISOString(), started_at: new Date(now - agoMin * 60_000 - (durationMs ?? 0)).toISOString(),
    duration_ms: durationMs, error: outcome === 'failed' ? 'still failing /ping after the restart' : null,
  });
await heal(52, 'billing', 'failed', 'threshold_reached', 'restarted after 3 failed checks; still failing', 30_000);
await heal(49, 'billing', 'succeeded', 'threshold_reached', 'restarted after 3 failed checks; passing again', 4210);
await heal(21, 'search', 'skipped', 'maintenance', 'in a maintenance window: failures expected', null);
await heal(8, 'billing', 'succeeded', 'threshold_reached', 'restarted after 3 failed checks; passing again', 3870);
await until(async () => ((await call('GET', '/autoheal/status')).services as unknown[]).length === 5, 'auto-heal watching the registered services');
await call('POST', '/autoheal/maintenance', { service: 'crm-ui', kind: 'maintenance', duration_seconds: 3600, reason: 'deploying crm-ui 3.2' });
await call('PUT', '/autoheal/services/search/quarantine', { reason: 'index rebuild: leave it alone' });

// Alerting: two rules from templates, one of our own, and an incident while the pager receiver is down.
await call('POST', '/alerts/templates/autoheal-failure-spike/materialize');
await call('POST', '/alerts/templates/service-health-failures/materialize', { enabled: false });
await call('POST', '/alerts/rules', { name: 'checkout-errors', severity: 'critical', event_type: 'checkout.failed', window_seconds: 300, threshold: 2, group_by: ['data.region'], tenant: null });
// Earlier checkout failures, for the rule's backtest: bursts over the day.
for (const [region, agoH, n] of [['eu-west', 20, 4], ['eu-west', 13.5, 3], ['us-east', 9, 5], ['eu-west', 6, 2], ['ap-south', 3.2, 3], ['us-east', 1.5, 2]] as const) {
  for (let i = 0; i < n; i++) await cc.bus.publish({ type: 'checkout.failed', source: 'shop', severity: 'error', data: { region, order: 8000 + i }, time: new Date(now - agoH * 3_600_000 + i * 20_000).toISOString() });
}
for (const region of ['eu-west', 'us-east', 'ap-south']) {
  for (let i = 0; i < 3; i++) await call('POST', '/events/publish', { event_type: 'checkout.failed', source: 'shop', severity: 'error', payload: { region, order: 9000 + i } }, 'agent');
}
await call('POST', '/alerts/evaluate');
await until(async () => (await call('GET', '/alerts/deliveries/history?status=dead_letter&since=15m')).deliveries.length >= 3, 'the pager deliveries in the dead letter');
await until(async () => (await call('GET', '/alerts/deliveries/history?status=delivered&since=15m')).deliveries.length >= 3, 'the Slack deliveries delivered');
// Auto-heal notices billing-worker failing once its start grace (30 s) is over, and restarts it.
await until(async () => ((await call('GET', '/autoheal/history?limit=50')).history as { service: string; outcome: string }[]).some((h) => h.service === 'billing-worker' && h.outcome === 'succeeded'), 'billing-worker healed', 120_000);
for (let i = 0; i < 7; i++) {
  await fetch(`${url}/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
    body: JSON.stringify({ intent: 'extract-lead', input: { text: 'Met Ada Lovelace of Analytical Engines' } }),
  });
}

/** Resolves once `check` is true, polling; fails after `ms` (default 20 s) naming `what`. */
async function until(check: () => Promise<boolean>, what: string, ms = 20_000) {
  for (const started = Date.now(); !(await check()); ) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens a view signed in as an operator, waits until its panels have settled, and saves it. */
async function shoot(browser: Browser, file: string, view: string, options: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; before?: (page: Page) => Promise<void>; clip?: string } = {}) {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, colorScheme: options.colorScheme ?? 'dark' });
  const page = await context.newPage();
  await page.goto(`${url}/#/${view}`);
  await page.selectOption('#signin-role', 'operator');
  const states = () => page.locator(`#view-${view} [data-panel]`).evaluateAll((sections) => sections.map((s) => s.getAttribute('data-state')));
  await until(async () => (await states()).every((s) => s !== null && s !== 'loading'), `the ${view} panels`);
  if (view === 'overview') await until(async () => (await page.textContent('[data-live-status]')) === 'live', 'the live stream');
  await options.before?.(page);
  if (options.clip) await page.locator(options.clip).screenshot({ path: docs(file) });
  // The whole page, unless the drawer is open: it and its overlay cover the window, not the page below it.
  else await page.screenshot({ path: docs(file), fullPage: !(await page.isVisible('#drawer')) });
  await context.close();
  console.log(`wrote docs/${file}`);
}

const browser = await launchChromium();
try {
  await shoot(browser, 'dashboard.png', 'overview', {
    // Live activity after the history above, so the feed fills as it would during an incident.
    before: async (page) => {
      for (const e of demo.slice(-4)) {
        await cc.bus.publish({ type: e.type, source: e.source, severity: e.severity, data: e.data, ...(e.tenantid ? { tenantid: e.tenantid } : {}) });
      }
      const total = (await cc.bus.stats()).total.toLocaleString('en-US');
      await until(async () => (await page.textContent('[data-panel="stats"] [data-stat="total"]')) === total, 'the counts to follow the live events');
    },
  });
  await shoot(browser, 'dashboard-events.png', 'events', {
    before: async (page) => {
      await page.selectOption('[data-panel="history"] select[name="severity"]', 'error');
      const rows = () => page.locator('[data-panel="history"] tbody tr').allTextContents();
      await until(async () => (await rows()).length > 0 && (await rows()).every((r) => r.includes('error')), 'the errors of the hour');
      await page.click('[data-panel="history"] tbody tr:first-child');
      await page.waitForSelector('#drawer:not([hidden])');
    },
  });
  await shoot(browser, 'dashboard-autoheal.png', 'autoheal', {
    before: async (page) => {
      await page.click('[data-panel="autoheal-why"] li[data-watched="billing-worker"]');
      await page.waitForSelector('[data-panel="autoheal-why"] [data-why] h3:text("billing-worker")');
    },
  });
  await shoot(browser, 'dashboard-alerts.png', 'alerts', {
    before: async (page) => {
      await page.selectOption('[data-panel="deliveries"] select[name="since"]', '15m');
      await page.selectOption('[data-panel="deliveries"] select[name="status"]', 'retrying,dead_letter');
      await until(async () => (await page.locator('[data-panel="deliveries"] tbody tr[data-status="dead_letter"]').count()) === 3, 'the failed deliveries');
      await page.check('[data-panel="deliveries"] input[data-select="all"]');
    },
  });
  await shoot(browser, 'dashboard-delivery.png', 'alerts', {
    before: async (page) => {
      await page.selectOption('[data-panel="deliveries"] select[name="status"]', 'retrying,dead_letter');
      await until(async () => (await page.locator('[data-panel="deliveries"] tbody tr[data-status="dead_letter"]').count()) === 3, 'the failed deliveries');
      await page.click('[data-panel="deliveries"] tbody tr[data-status="dead_letter"]');
      await page.waitForSelector('#drawer[data-kind="delivery"] [data-attempts]');
    },
  });
  await shoot(browser, 'dashboard-rules.png', 'alerts', {
    before: async (page) => {
      await page.click('[data-panel="alert-rules"] tr[data-name="checkout-errors"] [data-preview-rule]');
      await page.waitForSelector('[data-panel="alert-rules"] [data-preview][data-state="ready"]');
      await page.locator('[data-panel="alert-rules"]').scrollIntoViewIfNeeded();
    },
    clip: '[data-panel="alert-rules"]',
  });
  await shoot(browser, 'dashboard-light.png', 'overview', { colorScheme: 'light' });
  await shoot(browser, 'dashboard-narrow.png', 'overview', { width: 390, height: 844 });
} finally {
  await browser.close();
  await cc.close();
  await fake.close();
  await sink.close();
  for (const server of servers) server.close();
}
