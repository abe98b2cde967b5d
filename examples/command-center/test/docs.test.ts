// GET /docs in headless Chromium: the self-hosted viewer renders the OpenAPI document under a strict CSP, and
// loads nothing from anywhere but this server.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';
import { launchChromium } from './browser.js';

describe('/docs in headless Chromium', () => {
  let browser: Browser;
  let cc: CommandCenter;
  let url: string;
  let page: Page;
  const problems: string[] = [];
  const elsewhere: string[] = [];

  beforeAll(async () => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), { env: {} });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith(url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) elsewhere.push(r.url());
    });
    await page.goto(`${url}/docs`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cc?.close();
  });

  it('serves the page and the viewer publicly, under a CSP that allows scripts from this server only', async () => {
    const res = await fetch(`${url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
    const bundle = await fetch(`${url}/docs/scalar.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(Number(bundle.headers.get('content-length') ?? (await bundle.arrayBuffer()).byteLength)).toBeGreaterThan(100_000);
  });

  it('renders the operations of /openapi.json', async () => {
    // Operation summaries come from the route specs, so seeing them means the document was fetched and rendered.
    await expect.poll(() => page.getByText('Publish an event', { exact: false }).count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByText('AetherLink command center', { exact: false }).count()).toBeGreaterThan(0);
    // The other tags are groups in the sidebar; opening one shows its operations.
    await page.getByText('registry', { exact: true }).first().click();
    await expect.poll(() => page.getByText('Register a service, or replace its registration', { exact: false }).count()).toBeGreaterThan(0);
  });

  it('loads nothing from elsewhere and violates no CSP directive', () => {
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  });
});
