// `pnpm screenshot`: renders the dashboard with demo events in headless Chromium and saves docs/dashboard.png.
import { loadConfig } from '../examples/command-center/src/config.js';
import { createCommandCenter } from '../examples/command-center/src/server.js';
import { launchChromium } from '../examples/command-center/test/browser.js';

const cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }));
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
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
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
console.log('wrote docs/dashboard.png');
