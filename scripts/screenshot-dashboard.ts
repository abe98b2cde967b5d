// `pnpm screenshot`: renders the dashboard with demo events in headless Chromium and saves docs/dashboard.png.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeLlmServer } from '../packages/ai-router/src/_fixtures/fake-llm-server.js';
import { loadConfig } from '../examples/command-center/src/config.js';
import { createCommandCenter } from '../examples/command-center/src/server.js';
import { launchChromium } from '../examples/command-center/test/browser.js';

// Fake AI providers (Claude overloaded, OpenAI answering) and a few services in every state, all on 127.0.0.1.
const fake = await startFakeLlmServer();
fake.set('claude', { kind: 'status', status: 529 });
fake.set('openai', { kind: 'ok', text: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines' }), delayMs: 180 });
const cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), {
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
const demo: { type: string; source: string; severity: 'info' | 'warning' | 'error' | 'critical'; data: unknown; agoMin: number; tenantid?: string }[] = [
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
// Live activity after the history above, so arrival order and event time agree.
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
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
await page.goto(url);
await page.waitForFunction("document.getElementById('live-status')?.textContent === 'live'");
for (const e of demo.slice(-5)) {
  await cc.bus.publish({ type: e.type, source: e.source, severity: e.severity, data: e.data, ...(e.tenantid ? { tenantid: e.tenantid } : {}) });
}
await page.waitForFunction("document.querySelectorAll('#live li').length >= 5");
await page.waitForTimeout(800);
await page.screenshot({ path: new URL('../docs/dashboard.png', import.meta.url).pathname });
await browser.close();
await cc.close();
await fake.close();
for (const server of servers) server.close();
console.log('wrote docs/dashboard.png');
