// Issue #17, item 1: forged and malformed credentials never pass, on any protected operation of the served document.
// Each carries admin (or claims to), so any acceptance would show as a 2xx or a 403-with-a-principal.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawHttp } from '@aetherlink/core/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, fillPath, ISSUER, jwtEnv, operations, startInProcess, startJwks, type InProcessServer, type Jwks, type Operation } from './harness.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

interface Forged {
  name: string;
  headers: [string, string][];
  /** 401 unless the request is ambiguous (400) or too large (431). */
  status: number;
}

describe('forged and malformed credentials never pass', () => {
  let jwks: Jwks;
  let header: InProcessServer;
  let jwt: InProcessServer;
  let attacker: Server;
  let attackerHits = 0;
  let ops: Operation[];
  const header401: Forged[] = [];
  const jwt401: Forged[] = [];

  beforeAll(async () => {
    jwks = await startJwks();
    header = await startInProcess();
    jwt = await startInProcess(jwtEnv(jwks));
    ops = operations((await (await fetch(`${header.url}/openapi.json`)).json()) as never).filter((o) => o.op['x-permission'] !== 'public');

    // An attacker's key, and a JWKS of theirs that no token may make the server fetch.
    const evil = await generateKeyPair('RS256', { extractable: true });
    const evilJwk = { ...(await exportJWK(evil.publicKey)), kid: 'k1', alg: 'RS256' };
    attacker = createServer((_req, res) => {
      attackerHits++;
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [evilJwk] }));
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const evilUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/certs`;

    const admin = jwks.claims(['admin']);
    const now = Math.floor(Date.now() / 1000);
    const body = { ...admin, iss: ISSUER, aud: AUDIENCE, sub: 'mallory', iat: now, exp: now + 300 };
    const valid = await jwks.token(['viewer']);
    const [h, , s] = valid.split('.');
    const hs = (secret: string) => new SignJWT(admin).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const bearer = (name: string, token: string, status = 401) => jwt401.push({ name, headers: [['authorization', `Bearer ${token}`]], status });

    bearer('alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(body)}.`);
    bearer('alg None with a signature', `${b64({ alg: 'None', kid: 'k1' })}.${b64(body)}.${s}`);
    bearer('HS256 keyed with the published RSA key (PEM)', await hs(jwks.publicPem));
    bearer('HS256 keyed with the published RSA key (JWK)', await hs(JSON.stringify(jwks.publicJwk)));
    bearer('expired', await jwks.token(['admin'], (j) => j.setIssuedAt(now - 7200).setExpirationTime(now - 3600)));
    bearer('no exp', `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ ...body, exp: undefined })}.${s}`);
    bearer('no exp, signed with the published key', await jwks.raw({ alg: 'RS256', kid: 'k1' }, { ...body, exp: undefined }));
    bearer('wrong issuer', await jwks.token(['admin'], (j) => j.setIssuer('https://evil.test/realms/ops')));
    bearer('wrong audience', await jwks.token(['admin'], (j) => j.setAudience('someone-else')));
    bearer('not valid yet (nbf in an hour)', await jwks.token(['admin'], (j) => j.setNotBefore(now + 3600)));
    bearer('unknown kid', await jwks.foreignToken(['admin'], 'k9'));
    bearer('another key under the published kid', await jwks.foreignToken(['admin'], 'k1'));
    bearer('payload swapped under a valid signature', `${h}.${b64(body)}.${s}`);
    bearer('embedded jwk of the signer', await new SignJWT(admin).setProtectedHeader({ alg: 'RS256', kid: 'k1', jwk: evilJwk }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(evil.privateKey));
    bearer('jku pointing at the attacker', await new SignJWT(admin).setProtectedHeader({ alg: 'RS256', kid: 'k1', jku: evilUrl }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(evil.privateKey));
    bearer('unknown crit header', await jwks.raw({ alg: 'RS256', kid: 'k1', crit: ['x-evil'], 'x-evil': 1 }, body));
    bearer('claims that are not an object, signed', await jwks.raw({ alg: 'RS256', kid: 'k1' }, '"admin"'));
    bearer('claims that are an array, signed', await jwks.raw({ alg: 'RS256', kid: 'k1' }, [body]));
    bearer('roles claim a string, signed', await jwks.raw({ alg: 'RS256', kid: 'k1' }, { ...body, realm_access: { roles: 'admin' } }), 403);
    bearer('exp a string, signed', await jwks.raw({ alg: 'RS256', kid: 'k1' }, { ...body, exp: String(now + 300) }));
    bearer('aud an object, signed', await jwks.raw({ alg: 'RS256', kid: 'k1' }, { ...body, aud: { 0: AUDIENCE } }));
    bearer('ES256 header over an RSA key', `${b64({ alg: 'ES256', kid: 'k1' })}.${b64(body)}.${s}`);
    bearer('garbage', 'abc');
    bearer('three garbage parts', 'a.b.c');
    bearer('header that is not JSON', `${b64('not json')}.${b64(body)}.${s}`);
    bearer('header that is an array', `${b64([1, 2])}.${b64(body)}.${s}`);
    bearer('claims that are not an object', `${h}.${b64('"admin"')}.${s}`);
    bearer('oversized token', 'a'.repeat(8000));
    jwt401.push({ name: 'two tokens in one header', headers: [['authorization', `Bearer ${valid} ${valid}`]], status: 401 });
    jwt401.push({ name: 'Basic credentials', headers: [['authorization', `Basic ${Buffer.from('admin:admin').toString('base64')}`]], status: 401 });
    jwt401.push({ name: 'empty bearer', headers: [['authorization', 'Bearer ']], status: 401 });
    jwt401.push({ name: 'X-User-Roles in JWT mode', headers: [['x-user-roles', 'admin']], status: 401 });
    jwt401.push({ name: 'a token in the query, none in the header', headers: [], status: 401 });
    jwt401.push({ name: 'two Authorization headers (viewer, then admin)', headers: [['authorization', `Bearer ${valid}`], ['authorization', `Bearer ${await jwks.token(['admin'])}`]], status: 400 });
    jwt401.push({ name: 'two Authorization headers (admin, then viewer)', headers: [['authorization', `Bearer ${await jwks.token(['admin'])}`], ['authorization', `Bearer ${valid}`]], status: 400 });

    header401.push({ name: 'X-User-Roles twice', headers: [['x-user-roles', 'viewer'], ['x-user-roles', 'admin']], status: 400 });
    header401.push({ name: 'X-User-Roles twice, names cased apart', headers: [['X-User-Roles', 'viewer'], ['x-user-roles', 'admin']], status: 400 });
    header401.push({ name: 'X-User-Id twice beside admin', headers: [['x-user-roles', 'admin'], ['x-user-id', 'a'], ['x-user-id', 'b']], status: 400 });
    header401.push({ name: 'oversized roles header', headers: [['x-user-roles', `${'viewer,'.repeat(3000)}admin`]], status: 431 });
    header401.push({ name: 'roles of commas only', headers: [['x-user-roles', ',,,']], status: 401 });
    header401.push({ name: 'roles of spaces only', headers: [['x-user-roles', '   ']], status: 401 });
    header401.push({ name: 'a valid admin JWT in header mode', headers: [['authorization', `Bearer ${await jwks.token(['admin'])}`]], status: 401 });
  });
  afterAll(async () => {
    await header?.close();
    await jwt?.close();
    await jwks?.close();
    await new Promise<void>((r) => (attacker ? attacker.close(() => r()) : r()));
  });

  const attempt = async (server: InProcessServer, list: Forged[]) => {
    const wrong: string[] = [];
    let tried = 0;
    for (const forged of list) {
      for (const { method, path, op } of ops) {
        const query = forged.name.startsWith('a token in the query') ? `?access_token=${encodeURIComponent(await jwks.token(['admin']))}` : '';
        // A stream that opens never completes: that shows as no answer (the credential passed).
        const res = await rawHttp(server.url, {
          method,
          path: fillPath(path) + query,
          headers: [...forged.headers, ...(op.requestBody ? ([['content-type', 'application/json']] as [string, string][]) : [])],
          ...(op.requestBody ? { body: '{}' } : {}),
        }).catch((error: Error) => ({ status: 0, headers: {} as Record<string, string>, body: error.message }));
        tried++;
        const problem = res.headers['content-type']?.startsWith('application/problem+json');
        if (res.status !== forged.status || !problem) wrong.push(`${forged.name}: ${method} ${path} → ${res.status} ${res.body.slice(0, 120)}`);
        if (res.status === 401 && !res.headers['www-authenticate']) wrong.push(`${forged.name}: ${method} ${path} → 401 without WWW-Authenticate`);
      }
    }
    return { wrong, tried };
  };

  it('in header mode: repeated, oversized and empty roles headers, and a JWT the mode does not read', async () => {
    const { wrong, tried } = await attempt(header, header401);
    expect(wrong).toEqual([]);
    console.info(`[hardening] forged credentials, header mode: ${header401.length} kinds × ${ops.length} protected operations = ${tried} requests, none passed`);
  });

  it('in JWT mode: alg none, HS/RS confusion, expired, no exp, wrong issuer or audience, unknown kid, tampering, junk', async () => {
    const { wrong, tried } = await attempt(jwt, jwt401);
    expect(wrong).toEqual([]);
    expect(attackerHits, 'the server fetched keys from a URL a token named').toBe(0);
    console.info(`[hardening] forged credentials, JWT mode: ${jwt401.length} kinds × ${ops.length} protected operations = ${tried} requests, none passed`);
  });
});
