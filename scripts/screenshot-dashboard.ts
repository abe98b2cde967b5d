// `pnpm screenshot`: renders each main view of the dashboard with demo data in headless Chromium and saves them
// under docs/: dashboard.png (the overview, shown in the README), dashboard-events.png, dashboard-autoheal.png,
// dashboard-alerts.png, dashboard-light.png (the system's light setting) and dashboard-narrow.png (a phone).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startFakeLlmServer } from '../packages/ai-router/src/_fixtures/fake-llm-server.js';
import { loadConfig } from '../examples/command-center/src/config.js';
import { createCommandCenter } from '../examples/command-center/src/server.js';
import { launchChromium } from '../examples/command-center/test/browser.js';

const docs = (name: string) => new URL(`../docs/${name}`, import.meta.url).pathname;

// Fake AI providers (Claude overloaded, OpenAI answering) and a few services in every state, all on 127.0.0.1.
const fake = await startFakeLlmServer();
fake.set('claude', { kind: 'status', status: 529 });
fake.set('openai', { kind: 'ok', text: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines' }), delayMs: 180 });
const cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:', SELF_REGISTER: 'false' }), {
  env: {
    PROVIDER_ORDER: 'claude,openai,ollama',
    ANTHROPIC_BASE_URL: fake.baseUrl('claude', 'anthropic'),
    ANTHROPIC_API_KEY: 'demo',
    OPENAI_BASE_URL: fake.baseUrl('openai', 'openai'),
    OPENAI_API_KEY: 'demo',
    OLLAMA_BASE_URL: fake.baseUrl('ollama', 'ollama'),
  },
});
const url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
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
const serve = async (status: number, delayMs = 0) => {
  const server = createServer((_req, res) => setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"ok"}'), delayMs));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
for (const [name, status, delay, tags] of [
  ['billing', 200, 12, ['pay']],
  ['crm-ui', 200, 45, ['ui']],
  ['notifications', 429, 5, ['messaging']],
  ['search', 500, 3, ['core']],
] as const) {
  await cc.registry.register({ name, url: await serve(status, delay), version: '2.4.1', tags: [...tags] });
}
await cc.checker.checkAll();
for (let i = 0; i < 7; i++) {
  await fetch(`${url}/orchestrate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
    body: JSON.stringify({ intent: 'extract-lead', input: { text: 'Met Ada Lovelace of Analytical Engines' } }),
  });
}

/** Resolves once `check` is true, polling; fails after 20 s naming `what`. */
async function until(check: () => Promise<boolean>, what: string) {
  for (const started = Date.now(); !(await check()); ) {
    if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens a view signed in as an operator, waits until its panels have settled, and saves it. */
async function shoot(browser: Browser, file: string, view: string, options: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; before?: (page: Page) => Promise<void> } = {}) {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, colorScheme: options.colorScheme ?? 'dark' });
  const page = await context.newPage();
  await page.goto(`${url}/#/${view}`);
  await page.selectOption('#signin-role', 'operator');
  const states = () => page.locator(`#view-${view} [data-panel]`).evaluateAll((sections) => sections.map((s) => s.getAttribute('data-state')));
  await until(async () => (await states()).every((s) => s !== null && s !== 'loading'), `the ${view} panels`);
  if (view === 'overview') await until(async () => (await page.textContent('[data-live-status]')) === 'live', 'the live stream');
  await options.before?.(page);
  await page.screenshot({ path: docs(file), fullPage: true });
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
  await shoot(browser, 'dashboard-autoheal.png', 'autoheal');
  await shoot(browser, 'dashboard-alerts.png', 'alerts');
  await shoot(browser, 'dashboard-light.png', 'overview', { colorScheme: 'light' });
  await shoot(browser, 'dashboard-narrow.png', 'overview', { width: 390, height: 844 });
} finally {
  await browser.close();
  await cc.close();
  await fake.close();
  for (const server of servers) server.close();
}
