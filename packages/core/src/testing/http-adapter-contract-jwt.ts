import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { defineRoute } from '../http/route.js';
import { jwtPrincipalResolver } from '../rbac/jwt.js';
import type { HttpContractServer, HttpContractServerOptions } from './http-adapter-contract.js';

const ISSUER = 'https://sso.contract.test/realms/ops';
const AUDIENCE = 'aetherlink-contract';

/**
 * JWT principals through the adapter: a JWKS served on 127.0.0.1, tokens signed with jose. Valid → served; expired or
 * without `exp` → 401 with `WWW-Authenticate`; signing keys unreachable → 503, not 401.
 */
export function describeJwtContract(name: string, start: (options: HttpContractServerOptions) => Promise<HttpContractServer>): void {
  describe(`HTTP adapter contract: ${name}: JWT principals`, () => {
    const clock = createManualClock(Date.parse('2026-06-01T12:00:00.000Z'));
    const nowSec = () => Math.floor(clock.now() / 1000);
    let jwks: Server;
    let live: HttpContractServer;
    let down: HttpContractServer;
    let key: CryptoKey;

    const routes = [
      defineRoute({ method: 'GET', path: '/j/me', permission: 'ops:read', handler: ({ principal }) => ({ id: principal?.id, roles: principal?.roles, via: principal?.via }) }),
    ];
    const token = (claims: Record<string, unknown>, exp: number | null = nowSec() + 300) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'c1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('jwt-user').setIssuedAt(nowSec() - 10);
      return (exp === null ? jwt : jwt.setExpirationTime(exp)).sign(key);
    };

    beforeAll(async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      key = pair.privateKey;
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'c1', alg: 'ES256', use: 'sig' };
      jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
      await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
      const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`;
      // A port that was free a moment ago: nothing answers there.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/certs`;
      await new Promise<void>((r) => probe.close(() => r()));
      const resolver = (url: string) => jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: url, rolesClaim: 'realm_access.roles', clock });
      live = await start({ service: 'jwt', routes, principal: resolver(jwksUrl), guarded: { path: '/j/plain', permission: 'ops:operate' } });
      down = await start({ service: 'jwt', routes, principal: resolver(deadUrl), guarded: { path: '/j/plain', permission: 'ops:operate' } });
    });
    afterAll(async () => {
      await live?.close();
      await down?.close();
      await new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r()));
    });

    const get = async (server: HttpContractServer, path: string, jwt?: string) => {
      const res = await fetch(`${server.url}${path}`, { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });
      const body = (await res.json()) as Record<string, unknown>;
      return { status: res.status, type: res.headers.get('content-type'), auth: res.headers.get('www-authenticate'), body };
    };

    it('serves a valid token with the roles of its claim, on route specs and guarded routes', async () => {
      expect(await get(live, '/j/me', await token({ realm_access: { roles: ['Viewer'] } }))).toMatchObject({
        status: 200,
        body: { id: 'jwt-user', roles: ['viewer'], via: 'jwt' },
      });
      expect((await get(live, '/j/plain', await token({ realm_access: { roles: ['operator'] } }))).status).toBe(200);
      expect((await get(live, '/j/plain', await token({ realm_access: { roles: ['viewer'] } }))).status).toBe(403);
    });

    it('answers 401 problem+json with WWW-Authenticate for no token, an expired one and one without exp', async () => {
      const none = await get(live, '/j/me');
      expect(none).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
      expect(none.auth).toMatch(/^Bearer/);
      for (const jwt of [await token({ realm_access: { roles: ['admin'] } }, nowSec() - 60), await token({ realm_access: { roles: ['admin'] } }, null)]) {
        for (const path of ['/j/me', '/j/plain']) {
          const res = await get(live, path, jwt);
          expect(res).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
          expect(res.type).toMatch(/^application\/problem\+json/);
          expect(res.auth).toMatch(/^Bearer error="invalid_token"/);
        }
      }
    });

    it('answers 503 problem+json, not 401, when the signing keys cannot be fetched', async () => {
      const jwt = await token({ realm_access: { roles: ['admin'] } });
      for (const path of ['/j/me', '/j/plain']) {
        const res = await get(down, path, jwt);
        expect(res).toMatchObject({ status: 503, body: { code: 'unavailable' } });
        expect(res.type).toMatch(/^application\/problem\+json/);
        expect(res.auth).toBeNull();
      }
    });
  });
}
