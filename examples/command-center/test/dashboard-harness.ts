import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

// Shared by the dashboard's browser suites: a fresh command center per test (its own in-memory data) or one per
// suite, a fresh browser context per test (its own storage), every request and console error of the page recorded.

export interface DashboardOptions {
  /** Extra configuration (AUTH_MODE=jwt and its variables). */
  config?: Record<string, string>;
  /** Publish the four events (info, warning, two errors) a minute apart, ending a minute ago. Default true. */
  seed?: boolean;
  /** Register `billing` against this health server. */
  healthy?: Server;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  /** The view to open, e.g. `events`. Default the overview. */
  view?: string;
  /** Runs before the page loads (install a fake clock). */
  beforeGoto?: (page: Page) => Promise<void>;
}

export interface Dashboard {
  cc: CommandCenter;
  url: string;
  context: BrowserContext;
  page: Page;
  /** `METHOD path?query` of every request the page made, in order. */
  requests: string[];
  /** Errors the page logged: script errors and CSP violations, and the browser's own lines for 4xx answers. */
  consoleErrors: string[];
  /** Publishes as an agent through the HTTP API; resolves with the event id. */
  publish(event: Record<string, unknown>): Promise<string>;
  /** Picks a role in the header-mode sign-in. */
  signIn(role: string): Promise<void>;
  /** The `data-state` of a panel's section. */
  state(panel: string): Promise<string | null>;
  /** Security violation events stored so far. */
  violations(): Promise<number>;
  /** Closes the page (and the server it started); fails the test on any console error but those matching `expected`. */
  close(expected?: readonly RegExp[]): Promise<void>;
}

/**
 * A plain HTTP server answering 200 `{"status":"ok"}`, for a registered service to be probed healthy.
 * @example const healthy = await healthyServer()
 */
export async function healthyServer(): Promise<Server> {
  const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end('{"status":"ok"}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

/** The browser's own console line for a request the server answered 401 or 403 (expected where a test signs in badly). */
export const DENIED_ANSWERS = /status of 40[13]/;

export const SEED: [string, string, string, unknown][] = [
  ['info', 'service.registered', 'registry', { name: 'billing', url: 'http://billing:8080' }],
  ['warning', 'ai.fallback.used', 'ai-router', { provider: 'ollama', failed: [{ provider: 'claude', error: 'timeout' }] }],
  ['error', 'autoheal.failed', 'autoheal', { service: 'billing', error: 'exit 137' }],
  ['error', 'autoheal.failed', 'autoheal', { service: 'billing', error: 'exit 137' }],
];

/**
 * Starts a command center and opens its dashboard in a new browser context (signed out).
 * @example const d = await openDashboard(browser, { healthy }); await d.signIn('operator')
 */
export async function openDashboard(browser: Browser, options: DashboardOptions = {}): Promise<Dashboard> {
  const cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:', SELF_REGISTER: 'false', ...options.config }), { env: {} });
  const url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
  if (options.healthy) await cc.registry.register({ name: 'billing', url: `http://127.0.0.1:${(options.healthy.address() as AddressInfo).port}`, version: '2.4.1', tags: ['pay'] });
  if (options.seed !== false) {
    const now = Date.now();
    for (const [i, [severity, type, source, data]] of SEED.entries()) {
      await cc.bus.publish({ type, source, severity, data, time: new Date(now - (SEED.length - i) * 60_000).toISOString() });
    }
  }
  const dashboard = await attachDashboard(browser, cc, url, options);
  const closePage = dashboard.close;
  dashboard.close = async (expected = []) => {
    await closePage(expected).finally(() => cc.close());
  };
  return dashboard;
}

/**
 * Opens the dashboard of a command center that is already running (one server for a whole suite) in a new
 * browser context (signed out); closing it closes the context only.
 * @example const d = await attachDashboard(browser, cc, url, { view: 'alerts' })
 */
export async function attachDashboard(browser: Browser, cc: CommandCenter, url: string, options: Pick<DashboardOptions, 'viewport' | 'colorScheme' | 'view' | 'beforeGoto'> = {}): Promise<Dashboard> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'dark' });
  const page = await context.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => requests.push(`${r.method()} ${r.url().slice(url.length)}`));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await options.beforeGoto?.(page);
  await page.goto(`${url}/${options.view ? `#/${options.view}` : ''}`);
  return {
    cc,
    url,
    context,
    page,
    requests,
    consoleErrors,
    async publish(event) {
      const res = await fetch(`${url}/events/publish`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' }, body: JSON.stringify(event) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { event_id: string }).event_id;
    },
    async signIn(role) {
      await page.selectOption('#signin-role', role);
    },
    state: (panel) => page.getAttribute(`[data-panel="${panel}"]`, 'data-state'),
    async violations() {
      return (await cc.bus.store.query({ type: 'security.rbac.violation', limit: 1000 })).length;
    },
    async close(expected = []) {
      await context.close();
      const unexpected = consoleErrors.filter((e) => !expected.some((pattern) => pattern.test(e)));
      expect(unexpected, 'script errors or CSP violations in the browser').toEqual([]);
    },
  };
}
