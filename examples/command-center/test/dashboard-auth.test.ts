import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { DENIED_ANSWERS, healthyServer, openDashboard, type Dashboard } from './dashboard-harness.js';

const ISSUER = 'https://sso.example/realms/ops';

// Sign-in as each auth mode asks for it, and what a role may not see or do: one Chromium for the file, a
// command center and a browser context per test.
describe('operator dashboard sign-in and roles in headless Chromium', () => {
  let browser: Browser;
  let healthy: Server;
  let jwks: Server;
  let key: CryptoKey;
  let d: Dashboard | undefined;
  let expected: RegExp[] = [];

  beforeAll(async () => {
    healthy = await healthyServer();
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'main', alg: 'ES256' };
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const server of [healthy, jwks]) await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  afterEach(async () => {
    await d?.close(expected);
    d = undefined;
    expected = [];
  });

  const jwtMode = () => ({
    AUTH_MODE: 'jwt',
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: 'aetherlink',
    JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`,
    JWT_ROLES_CLAIM: 'realm_access.roles',
  });
  const token = (roles: string[], subject = 'ada') =>
    new SignJWT({ realm_access: { roles } }).setProtectedHeader({ alg: 'ES256', kid: 'main' }).setSubject(subject).setIssuer(ISSUER).setAudience('aetherlink').setExpirationTime('5m').sign(key);

  it('in JWT mode asks for a token, says plainly why a bad one is refused, and signs in and out with a good one', async () => {
    expected = [DENIED_ANSWERS];
    d = await openDashboard(browser, { config: jwtMode(), healthy });
    const { page } = d;
    await expect.poll(() => page.locator('#signin-token').count()).toBe(1);
    expect(await page.locator('#signin-role').count()).toBe(0);
    await expect.poll(() => d!.state('stats')).toBe('signed-out');

    await page.fill('#signin-token', 'abc.def.ghi');
    await page.press('#signin-token', 'Enter');
    await expect.poll(() => page.textContent('#session')).toBe('sign-in refused');
    expect(await d.state('stats')).toBe('signed-out');
    expect(await page.textContent('[data-panel="stats"] .state')).toMatch(/^401 Unauthorized: .*rejected.*Sign in again\.$/);

    // The field stays for another try.
    await page.fill('#signin-token', await token(['operator']));
    await page.click('#signin-form button[type="submit"]');
    await expect.poll(() => page.textContent('#session')).toBe('ada · operator');
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('5');
    await expect.poll(() => page.textContent('[data-service="billing"]')).toContain('ok');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    // Signed in, the token field steps aside and keeps nothing.
    expect(await page.isVisible('#signin-form')).toBe(false);
    expect(await page.inputValue('#signin-token')).toBe('');

    await page.click('#signout');
    await expect.poll(() => d!.state('stats')).toBe('signed-out');
    expect(await page.textContent('#session')).toBe('signed out');
  });

  it('shows a 403 plainly when the token’s roles may not use the console', async () => {
    expected = [DENIED_ANSWERS];
    d = await openDashboard(browser, { config: jwtMode() });
    const { page } = d;
    await page.fill('#signin-token', await token(['guest'], 'mallory'));
    await page.press('#signin-token', 'Enter');
    await expect.poll(() => page.textContent('#session')).toBe('not allowed');
    expect(await d.state('health')).toBe('denied');
    expect(await page.textContent('[data-panel="health"] .state')).toMatch(/^403 Forbidden: /);
    // Told once: the refused sign-in asks for nothing else, so it leaves one violation, not a stream of them.
    expect(d.requests.filter((r) => !/^GET \/(ops\/auth|ops\/ping|ops\/me|dashboard\/|$)/.test(r))).toEqual([]);
    expect(await d.violations()).toBe(1);
  });

  it('offers a viewer neither the panels nor the actions its role may not use, and asks the server for none of them', async () => {
    d = await openDashboard(browser, { healthy });
    const { page } = d;
    await d.signIn('viewer');
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('5');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    for (const panel of ['health', 'requests']) expect(await d.state(panel), panel).toBe('denied');
    expect(await page.textContent('[data-panel="health"] .state')).toBe('Your roles (viewer) may not see this: it needs GET /ops/health, GET /ops/services.');
    expect(await page.locator('[data-action]').count()).toBe(0);
    expect(d.requests.filter((r) => /\/(ops\/health|ops\/services|audit\/)/.test(r))).toEqual([]);
    expect(await d.violations()).toBe(0);

    // Signing in as an operator offers them.
    await d.signIn('operator');
    await expect.poll(() => page.locator('[data-service="billing"] button[data-action="maintenance"]').count()).toBe(1);
  });

  it('an open viewer dashboard causes no RBAC violations, however many live events arrive', async () => {
    d = await openDashboard(browser, { healthy });
    const { page } = d;
    await d.signIn('viewer');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('5');
    // Live events make the page reload what follows them. Each must be on the feed, and the counts must have been
    // reloaded after the last of them, before violations are counted.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await d.publish({ type: 'viewer.watch', source: 'test', data: { i } }));
    for (const id of ids) await expect.poll(() => page.locator(`[data-panel="live"] li[data-id="${id}"]`).count()).toBe(1);
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('11');
    expect(await d.violations()).toBe(0);
    // Nothing on the feed but the events published above and the seeded ones.
    expect(await page.locator('[data-panel="live"] li[data-severity]').evaluateAll((lis) => lis.filter((li) => li.textContent?.includes('security.rbac.violation')).length)).toBe(0);
  });

  it('reloads the counts once for a burst of live events, not once per event', async () => {
    d = await openDashboard(browser);
    const { page } = d;
    await d.signIn('viewer');
    await expect.poll(() => page.textContent('[data-live-status]')).toBe('live');
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('4');
    const before = d.requests.length;
    await Promise.all(Array.from({ length: 30 }, (_, i) => d!.publish({ type: 'burst.event', source: 'test', data: { i } })));
    await expect.poll(() => page.textContent('[data-panel="stats"] [data-stat="total"]')).toBe('34');
    await expect.poll(() => page.locator('[data-panel="live"] li[data-severity]').count()).toBe(34);
    // Thirty events, one reload (a second and third only if the 15 s refresh fell inside the burst on a slow machine).
    const reloads = d.requests.slice(before).filter((r) => r === 'GET /events/stats');
    expect(reloads.length).toBeGreaterThanOrEqual(1);
    expect(reloads.length).toBeLessThanOrEqual(3);
  });
});
