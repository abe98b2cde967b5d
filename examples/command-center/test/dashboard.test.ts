import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';
import { launchChromium } from './browser.js';

// One Chromium for the file; each test gets its own command center (fresh in-memory data) and its own browser
// context (fresh localStorage), so each passes or fails on its own, in any order.
describe('operator dashboard in headless Chromium', () => {
  let browser: Browser;
  let healthy: Server;
  let cc: CommandCenter;
  let url: string;
  let context: BrowserContext;
  let page: Page;
  let consoleErrors: string[];
  /** Set by a test that switches to roles the server refuses: the browser then logs the 401/403 answers. */
  let deniedAnswersExpected: boolean;

  beforeAll(async () => {
    healthy = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"status":"ok"}'));
    await new Promise<void>((r) => healthy.listen(0, '127.0.0.1', r));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (healthy ? healthy.close(() => r()) : r()));
  });

  beforeEach(async () => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), { env: {} });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.registry.register({ name: 'billing', url: `http://127.0.0.1:${(healthy.address() as AddressInfo).port}` });
    const now = Date.now();
    const seed: [string, string, string][] = [
      ['info', 'service.registered', 'registry'],
      ['warning', 'ai.fallback.used', 'ai-router'],
      ['error', 'autoheal.failed', 'autoheal'],
      ['error', 'autoheal.failed', 'autoheal'],
    ];
    const data: Record<string, unknown> = {
      'service.registered': { name: 'billing', url: 'http://billing:8080' },
      'ai.fallback.used': { provider: 'ollama', failed: [{ provider: 'claude', error: 'timeout' }] },
      'autoheal.failed': { service: 'billing', error: 'exit 137' },
    };
    for (const [i, [severity, type, source]] of seed.entries()) {
      await cc.bus.publish({ type, source, severity, data: data[type], time: new Date(now - (seed.length - i) * 60_000).toISOString() });
    }
    consoleErrors = [];
    deniedAnswersExpected = false;
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url);
  });

  afterEach(async () => {
    const unexpected = consoleErrors.filter((e) => !(deniedAnswersExpected && /status of 40[13]/.test(e)));
    await context?.close();
    await cc?.close();
    expect(unexpected, 'script errors or CSP violations in the browser').toEqual([]);
  });

  it('shows the service, the event counts and the severity breakdown', async () => {
    await expect.poll(() => page.textContent('#version')).toContain('aetherlink-command-center');
    // Four seeded events, and the service.registered of the service registered above.
    await expect.poll(() => page.textContent('#stat-total')).toBe('5');
    expect(await page.textContent('#stat-24h')).toBe('5');
    expect(await page.textContent('[data-severity="error"] .count')).toBe('2');
    expect(await page.textContent('#auth-status')).toBe('signed in');
    await expect.poll(async () => Number(await page.textContent('#audit-total'))).toBeGreaterThan(0);
  });

  it('shows registered services with their probed health, and the AI providers with their breakers', async () => {
    await expect.poll(() => page.textContent('[data-service="billing"]')).toContain('ok');
    expect(await page.textContent('#fleet-status')).toBe('ok');
    await expect.poll(() => page.textContent('[data-provider="ollama"]')).toContain('breaker closed');
  });

  it('lists history newest first and filters it by severity', async () => {
    await expect.poll(() => page.locator('#history tr').count()).toBe(5);
    expect(await page.textContent('#history tr:first-child')).toContain('autoheal.failed');
    expect(await page.textContent('#history tr:last-child')).toContain('service.registered');
    await page.selectOption('#f-severity', 'error');
    await expect.poll(() => page.locator('#history tr').count()).toBe(2);
    expect(await page.locator('#history tr').allTextContents()).toEqual([expect.stringContaining('autoheal.failed'), expect.stringContaining('autoheal.failed')]);
    await page.selectOption('#f-severity', '');
    await expect.poll(() => page.locator('#history tr').count()).toBe(5);
  });

  it('shows an event published elsewhere on the live feed within seconds', async () => {
    await expect.poll(() => page.textContent('#live-status')).toBe('live');
    await expect.poll(() => page.textContent('#stat-total')).toBe('5');
    const res = await fetch(`${url}/events/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
      body: JSON.stringify({ event_type: 'lead.created', source: 'crm', payload: { lead_id: 99, name: 'Ada' }, severity: 'info' }),
    });
    const { event_id } = (await res.json()) as { event_id: string };
    await expect.poll(() => page.locator(`#live li[data-id="${event_id}"]`).count()).toBe(1);
    // The counters follow the live feed without a reload.
    await expect.poll(() => page.textContent('#stat-total')).toBe('6');
  });

  it('opens an event in the drawer with its raw JSON, and closes it', async () => {
    await expect.poll(() => page.locator('#history tr').count()).toBe(5);
    await page.click('#history tr:first-child');
    await expect.poll(() => page.isVisible('#drawer')).toBe(true);
    const json = JSON.parse((await page.textContent('#drawer-json'))!) as { type: string; id: string; data: unknown };
    expect(json).toMatchObject({ type: 'autoheal.failed', data: { service: 'billing', error: 'exit 137' } });
    expect(await page.textContent('#drawer-facts')).toContain(json.id);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('#drawer')).toBe(false);
  });

  it('respects RBAC: a viewer sees events but not the audit numbers; no credentials sees nothing', async () => {
    deniedAnswersExpected = true;
    await expect.poll(() => page.textContent('#stat-total')).toBe('5');
    await page.selectOption('#auth-roles', 'viewer');
    await expect.poll(() => page.textContent('#audit-denied')).toBe('operators only:');
    await expect.poll(() => page.textContent('#services-note')).toBe('operators only');
    // An event published now reaches the viewer's live feed, and the viewer's history search finds it.
    await expect.poll(() => page.textContent('#live-status')).toBe('live');
    const res = await fetch(`${url}/events/publish`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' }, body: JSON.stringify({ type: 'rbac.seen', source: 'crm' }) });
    const { event_id } = (await res.json()) as { event_id: string };
    await expect.poll(() => page.locator(`#live li[data-id="${event_id}"]`).count()).toBe(1);
    await page.fill('#f-type', 'rbac.seen');
    await page.press('#f-type', 'Enter');
    await expect.poll(() => page.locator('#history tr').allTextContents()).toEqual([expect.stringContaining('rbac.seen')]);

    await page.selectOption('#auth-mode', 'token');
    await expect.poll(() => page.textContent('#auth-status')).toBe('sign in needed');
    await expect.poll(() => page.locator('#history tr').count()).toBe(0);
    await expect.poll(() => page.textContent('#live-status')).toBe('not allowed');
    await page.selectOption('#auth-mode', 'roles');
    await page.selectOption('#auth-roles', 'operator');
    await expect.poll(() => page.textContent('#auth-status')).toBe('signed in');
  });

  it('runs without script errors or CSP violations', async () => {
    // Every panel rendered, the live stream open and the drawer used: the scripts that do it all ran.
    await expect.poll(() => page.textContent('#version')).toContain('aetherlink-command-center');
    await expect.poll(() => page.textContent('#stat-total')).toBe('5');
    await expect.poll(() => page.textContent('[data-service="billing"]')).toContain('ok');
    await expect.poll(() => page.locator('[data-provider]').count()).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('#live-status')).toBe('live');
    await expect.poll(() => page.locator('#history tr').count()).toBe(5);
    await page.click('#history tr:first-child');
    await expect.poll(() => page.isVisible('#drawer')).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('#drawer')).toBe(false);
    expect(consoleErrors).toEqual([]);
  });
});
