import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { isAetherError } from '../errors.js';
import { jwtPrincipalResolver } from './jwt.js';

const ISSUER = 'https://sso.test/realms/ops';
const AUDIENCE = 'aetherlink';
let server: Server;
let jwksUrl: string;
let privateKey: CryptoKey;
let otherKey: CryptoKey;
let jwksHits = 0;
const clock = createManualClock(Date.parse('2026-06-01T12:00:00.000Z'));
const nowSec = () => Math.floor(clock.now() / 1000);

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => {
    jwksHits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sign = (claims: Record<string, unknown>, opts: { key?: CryptoKey; aud?: string; exp?: number; kid?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject('user-42')
    .setIssuedAt(nowSec() - 60)
    .setExpirationTime(opts.exp ?? nowSec() + 300)
    .sign(opts.key ?? privateKey);

const resolver = () => jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, rolesClaim: 'realm_access.roles', clock });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const rejection = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isAetherError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
};

describe('jwtPrincipalResolver (JWKS served on 127.0.0.1)', () => {
  it('accepts a valid token and reads roles from the claim path', async () => {
    const token = await sign({ realm_access: { roles: ['Operator', 'viewer', 7] } });
    const principal = await resolver()(bearer(token));
    expect(principal).toMatchObject({ id: 'user-42', roles: ['operator', 'viewer'], via: 'jwt' });
    expect(jwksHits).toBeGreaterThan(0);
  });

  it('rejects an expired token with 401 and says why', async () => {
    const token = await sign({ realm_access: { roles: ['admin'] } }, { exp: nowSec() - 60 });
    const err = await rejection(Promise.resolve(resolver()(bearer(token))));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/expired/);
    expect(String(err.details?.www_authenticate)).toMatch(/invalid_token/);
  });

  it('rejects a token without exp, which would never expire', async () => {
    const token = await new SignJWT({ realm_access: { roles: ['admin'] } })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('user-42')
      .setIssuedAt(nowSec() - 60)
      .sign(privateKey);
    const err = await rejection(Promise.resolve(resolver()(bearer(token))));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/no "exp" claim/);
    expect(String(err.details?.www_authenticate)).toMatch(/invalid_token/);
  });

  it('refuses tokens older than maxTokenAgeSeconds, judged by the injected clock', async () => {
    const aged = jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, clock, maxTokenAgeSeconds: 600 });
    // Issued 60 s ago, expiring in a day: within the age limit.
    const token = await sign({ roles: ['viewer'] }, { exp: nowSec() + 86_400 });
    expect(await aged(bearer(token))).toMatchObject({ roles: ['viewer'] });
    const start = clock.now();
    clock.advance(700_000);
    try {
      const err = await rejection(Promise.resolve(aged(bearer(token))));
      expect(err.code).toBe('unauthorized');
      expect(err.message).toMatch(/older than the maximum token age/);
      // Without the option the same token is still valid: exp is a day away.
      expect(await resolver()(bearer(token))).toMatchObject({ id: 'user-42' });
    } finally {
      clock.set(start);
    }
  });

  it('rejects the wrong audience', async () => {
    const token = await sign({ realm_access: { roles: ['admin'] } }, { aud: 'someone-else' });
    const err = await rejection(Promise.resolve(resolver()(bearer(token))));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/audience/);
  });

  it('rejects a token signed by another key', async () => {
    const token = await sign({ realm_access: { roles: ['admin'] } }, { key: otherKey });
    const err = await rejection(Promise.resolve(resolver()(bearer(token))));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/signature/);
  });

  it('gives a principal without roles when the claim is missing (403, not 401, on protected routes)', async () => {
    const token = await sign({ email: 'a@b.c' });
    expect(await resolver()(bearer(token))).toMatchObject({ roles: [], id: 'user-42' });
  });

  it('returns null without an Authorization header and rejects a malformed one', async () => {
    expect(await resolver()({ headers: {} })).toBeNull();
    const err = await rejection(Promise.resolve(resolver()({ headers: { authorization: 'Basic abc' } })));
    expect(err.code).toBe('unauthorized');
    const garbage = await rejection(Promise.resolve(resolver()(bearer('not.a.jwt'))));
    expect(garbage.code).toBe('unauthorized');
  });

  it('refuses a request carrying Authorization twice (400 naming it), whichever copy is first', async () => {
    const viewer = await sign({ realm_access: { roles: ['viewer'] } });
    const admin = await sign({ realm_access: { roles: ['admin'] } });
    for (const [first, second] of [[admin, viewer], [viewer, admin]]) {
      const err = await rejection(Promise.resolve(resolver()({ headers: {}, rawHeaders: ['Authorization', `Bearer ${first}`, 'authorization', `Bearer ${second}`] })));
      expect(err.code).toBe('validation_failed');
      expect(err.errors).toEqual([expect.objectContaining({ field: 'authorization', in: 'header' })]);
      expect(err.message).not.toContain(first!.slice(0, 20));
    }
  });

  it('answers unavailable (not 401) when the JWKS cannot be fetched', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const dead = jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${closedPort}/certs`, clock });
    const token = await sign({ roles: ['admin'] });
    const err = await rejection(Promise.resolve(dead(bearer(token))));
    expect(err.code).toBe('unavailable');
  });

  it('answers unavailable when the JWKS endpoint errors or serves garbage', async () => {
    for (const answer of [(res: import('node:http').ServerResponse) => res.writeHead(500).end('oops'), (res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"nope":1}')]) {
      const broken = createServer((_req, res) => answer(res));
      await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
      try {
        const resolve = jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${(broken.address() as AddressInfo).port}/certs`, clock });
        const err = await rejection(Promise.resolve(resolve(bearer(await sign({ roles: ['admin'] })))));
        expect(err.code).toBe('unavailable');
      } finally {
        await new Promise<void>((r) => broken.close(() => r()));
      }
    }
  });

  it('verifies with a local key too', async () => {
    const secret = new TextEncoder().encode('a-very-long-shared-secret-of-32-bytes!!');
    const token = await new SignJWT({ roles: ['agent'] }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE)
      .setExpirationTime(nowSec() + 60).sign(secret);
    const local = jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, key: secret, clock });
    expect(await local(bearer(token))).toMatchObject({ roles: ['agent'] });
  });
});
