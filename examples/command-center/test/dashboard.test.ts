import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { healthyServer, openDashboard, type Dashboard } from './dashboard-harness.js';

// The page's globals as the callbacks of page.evaluate use them: this file is checked without the DOM library.
interface PageBox {
  getBoundingClientRect(): { left: number; width: number };
}
declare const document: { documentElement: { scrollWidth: number }; body: PageBox; querySelector(selector: string): PageBox | null };
declare const window: { innerWidth: number };
declare function getComputedStyle(element: PageBox): { backgroundColor: string };

const minute = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();

// One Chromium for the file; each test gets its own command center and browser context (dashboard-harness.ts),
// so each passes or fails on its own, in any order.
describe('operator dashboard in headless Chromium (header auth)', () => {
  let browser: Browser;
  let healthy: Server;
  let d: Dashboard | undefined;
  /** Console errors a test expects (a dropped stream); any other fails it. */
  let expected: RegExp[] = [];

  beforeAll(async () => {
    healthy = await healthyServer();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (healthy ? healthy.close(() => r()) : r()));
  });

  afterEach(async () => {
    await d?.close(expected);
    d = undefined;
    expected = [];
  });

  it('asks for nothing before sign-in, then shows the overview with its data for the picked role', async () => {
    d = await openDashboard(browser, { healthy });
    const { page } = d;
    await expect.poll(() => page.textContent('#version')).toContain('aetherlink-command-center');
    await expect.poll(() => d!.state('stats')).toBe('signed-out');
    expect(await page.textContent('[data-panel="stats"] .state')).toBe('Sign in above to see this.');
    expect(d.requests.filter((r) => r.startsWith('GET /') && !/^GET \/(ops\/auth|ops\/ping|dashboard\/|$)/.test(r))).toEqual([]);

    await d.signIn('operator');
    // Four seeded events and the registration of billing.
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('5');
    expect(await page.textContent('[data-panel="stats"] [data-stat="last_24h"]')).toBe('5');
    expect(await page.textContent('[data-panel="stats"] [data-severity="error"] .count')).toBe('2');
    await expect.poll(() => page.textContent('[data-service="billing"]')).toContain('ok');
    expect(await page.textContent('[data-panel="health"] [data-overall]')).toBe('ok');
    await expect.poll(() => page.locator('[data-provider]').count()).toBeGreaterThan(0);
    expect(await page.textContent('[data-provider="ollama"] [data-breaker]')).toBe('closed');
    await expect.poll(async () => Number(await page.textContent('[data-panel="requests"] [data-stat="total_requests"]'))).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    // The choice is remembered: a reload signs in again.
    await page.reload();
    await expect.poll(() => page.inputValue('#signin-role')).toBe('operator');
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('5');
  });

  it('refreshes the panels every 15 s', async () => {
    d = await openDashboard(browser, { healthy, beforeGoto: (page) => page.clock.install() });
    const { page } = d;
    await d.signIn('operator');
    await expect.poll(() => page.textContent('[data-service="billing"]')).toContain('ok');
    await d.cc.registry.register({ name: 'late-joiner', url: `${d.url}/ops` });
    await page.clock.fastForward(15_000);
    await expect.poll(() => page.locator('[data-service="late-joiner"]').count()).toBe(1);
  });

  it('draws the events of each minute by severity over the chosen window, from the bucketed stats', async () => {
    d = await openDashboard(browser, { seed: false });
    const { page } = d;
    const now = Date.now();
    const at = (agoMs: number, severity: string) => d!.cc.bus.publish({ type: 'chart.point', source: 'test', severity, time: new Date(now - agoMs).toISOString() });
    await at(5 * 60_000, 'error');
    await at(5 * 60_000, 'error');
    await at(5 * 60_000, 'info');
    await at(2 * 60_000, 'critical');
    await at(30 * 60_000, 'warning');
    await at(3 * 3_600_000, 'info');
    await d.signIn('viewer');
    const rows = () =>
      page.locator('[data-panel="chart"] [data-chart-table] tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-start'), ...[...tr.querySelectorAll('td')].map((td) => Number(td.textContent))]),
      );
    const bucket = (agoMs: number) => minute(now - agoMs);

    // The default window is the last hour: 61 one-minute buckets; columns are info, warning, error, critical.
    await expect.poll(() => page.getAttribute('[data-panel="chart"] svg', 'data-buckets')).toBe('61');
    await expect.poll(rows).toEqual([
      [bucket(30 * 60_000), 0, 1, 0, 0],
      [bucket(5 * 60_000), 1, 0, 2, 0],
      [bucket(2 * 60_000), 0, 0, 0, 1],
    ]);
    expect(await page.getAttribute('[data-panel="chart"] path[data-severity="critical"]', 'd')).toMatch(/^M[\d.]+ [\d.]+h/);
    expect(await page.getAttribute('[data-panel="chart"] path[data-severity="warning"]', 'd')).toMatch(/^M/);

    await page.click('[data-panel="chart"] button[data-window="15m"]');
    await expect.poll(() => page.getAttribute('[data-panel="chart"] svg', 'data-buckets')).toBe('16');
    await expect.poll(rows).toEqual([
      [bucket(5 * 60_000), 1, 0, 2, 0],
      [bucket(2 * 60_000), 0, 0, 0, 1],
    ]);
    expect(await page.getAttribute('[data-panel="chart"] path[data-severity="warning"]', 'd')).toBe('');

    await page.click('[data-panel="chart"] button[data-window="24h"]');
    await expect.poll(() => page.getAttribute('[data-panel="chart"] svg', 'data-buckets')).toBe('1441');
    await expect.poll(async () => (await rows())[0]).toEqual([bucket(3 * 3_600_000), 1, 0, 0, 0]);
    expect(await page.getAttribute('[data-panel="chart"] button[data-window="24h"]', 'aria-pressed')).toBe('true');

    // An event published now lands in the current minute once the live feed brings the chart up to date.
    await d.publish({ type: 'chart.live', source: 'test', severity: 'warning' });
    await expect.poll(async () => (await rows()).at(-1)?.[2]).toBe(1);
  });

  it('follows the live stream, and its severity buttons show that severity only, then and as events arrive', async () => {
    d = await openDashboard(browser);
    const { page } = d;
    await d.signIn('operator');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    // The feed starts with the latest stored events.
    await expect.poll(() => page.locator('[data-panel="live"] li').count()).toBe(4);
    const info = await d.publish({ event_type: 'lead.created', source: 'crm', payload: { lead_id: 99 }, severity: 'info' });
    await expect.poll(() => page.locator(`[data-panel="live"] li[data-id="${info}"]`).count()).toBe(1);

    await page.click('[data-panel="live"] button[data-filter="error"]');
    await expect.poll(() => page.locator('[data-panel="live"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-severity')))).toEqual(['error', 'error']);
    expect(await page.getAttribute('[data-panel="live"] button[data-filter="error"]', 'aria-pressed')).toBe('true');
    const quiet = await d.publish({ event_type: 'lead.created', source: 'crm', payload: { lead_id: 100 }, severity: 'info' });
    const loud = await d.publish({ event_type: 'autoheal.failed', source: 'heal', payload: { service: 'api', error: 'exit 1' }, severity: 'error' });
    await expect.poll(() => page.locator('[data-panel="live"] li').first().getAttribute('data-id')).toBe(loud);
    expect(await page.locator(`[data-panel="live"] li[data-id="${quiet}"]`).count()).toBe(0);

    await page.click('[data-panel="live"] button[data-filter="critical"]');
    await expect.poll(() => d!.state('live')).toBe('empty');
    expect(await page.textContent('[data-panel="live"] .state')).toContain('No critical events yet');

    await page.click('[data-panel="live"] button[data-filter=""]');
    await expect.poll(() => page.locator(`[data-panel="live"] li[data-id="${quiet}"]`).count()).toBe(1);
    await page.click(`[data-panel="live"] li[data-id="${loud}"]`);
    await expect.poll(() => page.isVisible('#drawer')).toBe(true);
    expect(JSON.parse((await page.textContent('#drawer-json'))!)).toMatchObject({ id: loud, type: 'autoheal.failed', data: { service: 'api' } });
  });

  it('resumes the live stream after a dropped connection with Last-Event-ID, losing no event', async () => {
    expected = [/ERR_INCOMPLETE_CHUNKED_ENCODING/];
    d = await openDashboard(browser);
    const { page } = d;
    await d.signIn('viewer');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    const before = await d.publish({ type: 'stream.before', source: 'test' });
    await expect.poll(() => page.locator(`[data-panel="live"] li[data-id="${before}"]`).count()).toBe(1);
    const resumed: string[] = [];
    page.on('request', (r) => r.url().includes('/events/stream') && r.headers()['last-event-id'] && resumed.push(r.headers()['last-event-id']!));
    d.cc.app.server.closeAllConnections();
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('reconnecting…');
    const during = await d.publish({ type: 'stream.during', source: 'test' });
    await expect.poll(() => page.locator(`[data-panel="live"] li[data-id="${during}"]`).count()).toBe(1);
    expect(resumed.length).toBeGreaterThan(0);
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
  });

  it('reads the stream format with CRLF and CR line ends, comments and data over several lines', async () => {
    d = await openDashboard(browser, { seed: false });
    // The dashboard's own module, imported in the page as the dashboard imports it (a string, so the test
    // runner leaves its dynamic import alone).
    const messages = await d.page.evaluate(`(async () => {
      const { sseParser } = await import('/dashboard/lib/sse.js');
      const out = [];
      const parser = sseParser((m) => out.push(m));
      for (const chunk of [': hi\\r\\nid: 7\\r', '\\ndata: a\\r\\ndata: b\\r\\n\\r\\n', 'event: x\\rdata: {"n":1}\\r\\r', 'data: tail']) parser.push(chunk);
      return out;
    })()`);
    expect(messages).toEqual([
      { id: '7', data: 'a\nb' },
      { id: '7', event: 'x', data: '{"n":1}' },
    ]);
  });

  it('lists history newest first, filters it by severity on the server, and opens an event in the drawer', async () => {
    d = await openDashboard(browser, { view: 'events' });
    const { page } = d;
    await d.signIn('viewer');
    const rows = page.locator('[data-panel="history"] tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    expect(await rows.first().textContent()).toContain('autoheal.failed');
    expect(await rows.last().textContent()).toContain('service.registered');
    await page.selectOption('[data-panel="history"] select[name="severity"]', 'warning');
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining('ai.fallback.used')]);
    expect(d.requests).toContain('GET /events/recent?limit=50&since=1h&severity=warning');
    await page.selectOption('[data-panel="history"] select[name="severity"]', '');
    await page.fill('[data-panel="history"] input[name="type"]', 'nothing.like.this');
    await page.press('[data-panel="history"] input[name="type"]', 'Enter');
    await expect.poll(() => d!.state('history')).toBe('empty');
    await page.fill('[data-panel="history"] input[name="type"]', '');
    await page.press('[data-panel="history"] input[name="type"]', 'Enter');
    await expect.poll(() => rows.count()).toBe(4);
    await rows.first().click();
    await expect.poll(() => page.isVisible('#drawer')).toBe(true);
    const json = JSON.parse((await page.textContent('#drawer-json'))!) as { id: string };
    expect(json).toMatchObject({ type: 'autoheal.failed', data: { service: 'billing', error: 'exit 137' } });
    expect(await page.textContent('#drawer-facts')).toContain(json.id);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.isVisible('#drawer')).toBe(false);
  });

  it('shows a panel loading while it waits, its error plainly when the server fails it, and recovers on the next refresh', async () => {
    expected = [/status of 503/];
    d = await openDashboard(browser);
    const { page } = d;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let failing = false;
    await page.route('**/providers/health', async (route) => {
      if (failing) {
        await route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ status: 503, title: 'Service Unavailable', detail: 'the AI router is draining' }) });
        return;
      }
      await gate;
      await route.continue();
    });
    await d.signIn('viewer');
    await expect.poll(() => d!.state('providers')).toBe('loading');
    // The other panels do not wait for it.
    await expect.poll(() => d!.state('stats')).toBe('ready');
    expect(await d.state('providers')).toBe('loading');
    expect(await page.textContent('[data-panel="providers"] .state')).toBe('Loading…');
    release();
    await expect.poll(() => d!.state('providers')).toBe('ready');

    failing = true;
    // Leaving the view and coming back refreshes its panels.
    await page.click('#tab-events');
    await page.click('#tab-overview');
    await expect.poll(() => d!.state('providers')).toBe('error');
    expect(await page.textContent('[data-panel="providers"] .state')).toBe('503: the AI router is draining');
    expect(await d.state('stats')).toBe('ready');
    failing = false;
    await page.click('#tab-events');
    await page.click('#tab-overview');
    await expect.poll(() => d!.state('providers')).toBe('ready');
  });

  it('lets an operator put a service into maintenance and take it out', async () => {
    d = await openDashboard(browser, { healthy });
    const { page } = d;
    await d.signIn('operator');
    const row = page.locator('[data-service="billing"]');
    await expect.poll(() => row.locator('[data-health]').textContent()).toBe('ok');
    await row.locator('button[data-action="maintenance"]').click();
    await expect.poll(() => row.locator('[data-health]').textContent()).toBe('maintenance');
    expect((await d.cc.registry.get('billing'))?.status).toBe('maintenance');
    await expect.poll(() => row.locator('button[data-action="maintenance"]').textContent()).toBe('End maintenance');
    await row.locator('button[data-action="maintenance"]').click();
    await expect.poll(async () => (await d!.cc.registry.get('billing'))?.status).not.toBe('maintenance');
    await expect.poll(() => row.locator('button[data-action="maintenance"]').textContent()).toBe('Maintenance');
  });

  it('shows the panels whose routes a server does not serve as such, asking for none of their routes', async () => {
    d = await openDashboard(browser, { view: 'autoheal' });
    const { page } = d;
    // A server without auto-heal and without the audit trail's store (an app embedding fewer modules): its /ops/me
    // lists none of their routes.
    await page.route('**/ops/me', async (route) => {
      const res = await route.fetch();
      const me = (await res.json()) as { routes: Record<string, boolean> };
      for (const key of Object.keys(me.routes)) if (/ \/(autoheal|audit\/records)/.test(key)) delete me.routes[key];
      await route.fulfill({ response: res, json: me });
    });
    await d.signIn('admin');
    for (const panel of ['reconcile', 'autoheal-stats', 'autoheal-config', 'autoheal-timeline', 'autoheal-why', 'maintenance']) {
      await expect.poll(() => d!.state(panel), { message: panel }).toBe('unavailable');
    }
    expect(await page.textContent('[data-panel="autoheal-stats"] .state')).toBe('Not on this server yet: needs GET /autoheal/stats, from the auto-heal module (@aetherlink/autoheal).');
    await page.click('#tab-events');
    await expect.poll(() => d!.state('audit')).toBe('unavailable');
    // The panels of the modules it has are there.
    await page.click('#tab-alerts');
    await expect.poll(() => d!.state('alert-templates')).toBe('ready');
    // Alerting is all here: endpoints and deliveries read their routes (this server has neither yet).
    for (const panel of ['endpoints', 'deliveries']) await expect.poll(() => d!.state(panel), { message: panel }).toBe('empty');
    expect(d.requests).toEqual(expect.arrayContaining(['GET /alerts/endpoints', 'GET /alerts/deliveries/history?limit=50&since=1h']));
    expect(d.requests.filter((r) => /\/autoheal\/|\/audit\/records/.test(r))).toEqual([]);
  });

  it('lays the overview out in one column on a narrow window, with nothing wider than the screen', async () => {
    d = await openDashboard(browser, { healthy, viewport: { width: 390, height: 844 } });
    const { page } = d;
    await d.signIn('operator');
    await expect.poll(() => page.textContent('[data-service="billing"]')).toContain('ok');
    await expect.poll(() => page.getAttribute('[data-panel="chart"] svg', 'data-buckets')).toBe('61');
    expect(await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])).toEqual([390, 390]);
    const boxes = await page.locator('#view-overview > [data-panel]').evaluateAll((sections) => sections.map((s) => s.getBoundingClientRect()).map((r) => [Math.round(r.left), Math.round(r.width)]));
    // One column: every panel starts at the same left edge and has the same width.
    expect(new Set(boxes.map((b) => b.join()))).toEqual(new Set([boxes[0]!.join()]));
    expect(boxes[0]![1]).toBeGreaterThan(340);
    // The chart fits its panel.
    const [chartWidth, panelWidth] = await page.evaluate(() => [document.querySelector('[data-panel="chart"] svg')!.getBoundingClientRect().width, document.querySelector('[data-panel="chart"]')!.getBoundingClientRect().width]);
    expect(chartWidth).toBeLessThanOrEqual(panelWidth!);
  });

  it('follows the system setting for light and dark', async () => {
    d = await openDashboard(browser, { colorScheme: 'light' });
    const background = () => d!.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await background()).toBe('rgb(244, 246, 248)');
    await d.page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).toBe('rgb(15, 20, 25)');
  });
});
