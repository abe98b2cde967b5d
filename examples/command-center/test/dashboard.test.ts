import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';
import { launchChromium } from './browser.js';

describe('operator dashboard in headless Chromium', () => {
  let cc: CommandCenter;
  let url: string;
  let browser: Browser;
  let page: Page;
  let healthy: Server;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), { env: {} });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    healthy = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"status":"ok"}'));
    await new Promise<void>((r) => healthy.listen(0, '127.0.0.1', r));
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
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cc?.close();
    await new Promise<void>((r) => (healthy ? healthy.close(() => r()) : r()));
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
    await expect.poll(() => page.textContent('[data-service="billing"]'), { timeout: 10_000 }).toContain('ok');
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
    const res = await fetch(`${url}/events/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
      body: JSON.stringify({ event_type: 'lead.created', source: 'crm', payload: { lead_id: 99, name: 'Ada' }, severity: 'info' }),
    });
    const { event_id } = (await res.json()) as { event_id: string };
    await expect.poll(() => page.locator(`#live li[data-id="${event_id}"]`).count(), { timeout: 5000 }).toBe(1);
    await expect.poll(() => page.textContent('#stat-total'), { timeout: 5000 }).toBe('6');
  });

  it('opens an event in the drawer with its raw JSON, and closes it', async () => {
    await page.click('#history tr:first-child');
    await expect.poll(() => page.isVisible('#drawer')).toBe(true);
    const json = JSON.parse((await page.textContent('#drawer-json'))!) as { type: string; id: string };
    expect(json.type).toBeTruthy();
    expect(await page.textContent('#drawer-facts')).toContain(json.id);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('#drawer')).toBe(false);
  });

  it('respects RBAC: a viewer sees events but not the audit numbers; no credentials sees nothing', async () => {
    await page.selectOption('#auth-roles', 'viewer');
    await expect.poll(() => page.textContent('#audit-denied')).toBe('operators only:');
    await expect.poll(() => page.textContent('#services-note')).toBe('operators only');
    expect(await page.textContent('#stat-total')).not.toBe('–');
    await page.selectOption('#auth-mode', 'token');
    await expect.poll(() => page.textContent('#auth-status')).toBe('sign in needed');
    await page.selectOption('#auth-mode', 'roles');
    await page.selectOption('#auth-roles', 'operator');
    await expect.poll(() => page.textContent('#auth-status')).toBe('signed in');
  });

  it('runs without script errors or CSP violations', () => {
    // 401/403 answers are expected while switching roles; anything else is a defect.
    expect(consoleErrors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  });
});
