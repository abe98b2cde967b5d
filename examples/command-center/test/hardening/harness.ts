// Shared pieces of the hardening suites: the reference server in-process on 127.0.0.1 (header or JWT mode), a JWKS
// on 127.0.0.1 with a signer, the routes Fastify serves, and the operations of the served /openapi.json.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAuditStore, soleLeader } from '@aetherlink/core';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import Database from 'better-sqlite3';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { loadConfig } from '../../src/config.js';
import { createCommandCenter, type CommandCenter, type CommandCenterOverrides } from '../../src/server.js';
import { tempDbPath } from '../helpers.js';

export const ISSUER = 'https://sso.hardening.test/realms/ops';
export const AUDIENCE = 'aetherlink-hardening';
export const ROLES_CLAIM = 'realm_access.roles';
export const ROLES = ['viewer', 'agent', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface InProcessServer {
  cc: CommandCenter;
  url: string;
  /** The SQLite file, unless DATABASE_URL was given. */
  db: string;
  close(): Promise<void>;
}

/**
 * The reference server in this process on a free port of 127.0.0.1, on a fresh SQLite file. `loops: false` (default)
 * listens without starting the modules' loops, so nothing but the test's requests changes the stores.
 * @example const s = await startInProcess({ AUTH_MODE: 'header' }); await s.close()
 */
export async function startInProcess(
  env: Record<string, string> = {},
  options: { loops?: boolean; overrides?: CommandCenterOverrides } = {},
): Promise<InProcessServer> {
  const db = env.AETHERLINK_DB ?? tempDbPath();
  const config = loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', SELF_REGISTER: 'false', AETHERLINK_DB: db, PORT: '0', HOST: '127.0.0.1', ...env });
  const cc = await createCommandCenter(config, { env: {}, ...options.overrides });
  const url = options.loops ? await cc.listen() : await cc.app.listen({ port: 0, host: '127.0.0.1' });
  return { cc, url: url.replace('localhost', '127.0.0.1'), db, close: () => cc.close() };
}

export interface WatchedServer extends InProcessServer {
  /**
   * SQLite's `data_version` seen from a connection of the test's own: it moves whenever the server commits anything.
   * The audit trail, which records every request by design, is kept in memory so it does not count.
   */
  version(): number;
  /** Resolves once every write queued so far has committed (a no-op through the SQLite writer thread, in order). */
  barrier(): Promise<void>;
}

/**
 * The reference server in-process on a SQLite file the test watches for writes (see `version()`), loops off.
 * @example const s = await startWatched(); const v = s.version(); await fetch(…); expect(s.version()).toBe(v)
 */
export async function startWatched(env: Record<string, string> = {}): Promise<WatchedServer> {
  const db = tempDbPath();
  const opened = sqliteStores({ path: db });
  const stores = { ...opened, audit: memoryAuditStore() };
  const server = await startInProcess({ ...env, AETHERLINK_DB: db }, { overrides: { stores: { stores, leader: soleLeader(), where: `sqlite ${db}` } } });
  const watcher = new Database(db, { readonly: true });
  return {
    ...server,
    version: () => watcher.pragma('data_version', { simple: true }) as number,
    barrier: async () => {
      await opened.writerPragma('user_version');
    },
    async close() {
      watcher.close();
      await server.close();
    },
  };
}

export interface Jwks {
  url: string;
  /** The RSA public key as published, for HS/RS confusion attempts. */
  publicJwk: JWK;
  publicPem: string;
  /** Signs a token with the published key (RS256, kid `k1`): roles under `realm_access.roles`, 5 minutes. */
  token(roles: readonly string[], change?: (jwt: SignJWT) => SignJWT): Promise<string>;
  /** Any protected header over any payload (claims or not), signed with the published key. */
  raw(header: Record<string, unknown>, payload: unknown): Promise<string>;
  /** The same with a key that is not published, under any kid. */
  foreignToken(roles: readonly string[], kid: string): Promise<string>;
  claims(roles: readonly string[]): JWTPayload;
  close(): Promise<void>;
}

/**
 * A JWKS endpoint on 127.0.0.1 publishing one RS256 key, and a signer for it.
 * @example const jwks = await startJwks(); const jwt = await jwks.token(['viewer'])
 */
export async function startJwks(): Promise<Jwks> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const { createPublicKey } = await import('node:crypto');
  const publicPem = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const server: Server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  const claims = (roles: readonly string[]): JWTPayload => ({ realm_access: { roles: [...roles] } });
  const sign = (key: CryptoKey, kid: string, roles: readonly string[], change: (jwt: SignJWT) => SignJWT = (j) => j) =>
    change(
      new SignJWT(claims(roles))
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('hardening-user')
        .setIssuedAt()
        .setExpirationTime('5m'),
    ).sign(key);
  return {
    url,
    publicJwk,
    publicPem,
    claims,
    token: (roles, change) => sign(pair.privateKey, 'k1', roles, change),
    // By hand: jose refuses to sign what it would refuse to verify (an unknown `crit`), which is the point here.
    async raw(header, payload) {
      const part = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
      const input = `${part(header)}.${part(payload)}`;
      const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pair.privateKey, new TextEncoder().encode(input));
      return `${input}.${Buffer.from(signature).toString('base64url')}`;
    },
    foreignToken: (roles, kid) => sign(foreign.privateKey, kid, roles),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The variables of JWT mode against this JWKS. */
export function jwtEnv(jwks: Jwks): Record<string, string> {
  return { AUTH_MODE: 'jwt', JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: jwks.url, JWT_ROLES_CLAIM: ROLES_CLAIM };
}

/**
 * Every (method, path) Fastify serves, read from its route tree; HEAD twins of GET routes are left out. Paths use
 * OpenAPI templates (`{name}`).
 * @example servedRoutes(cc.app) // [{ method: 'POST', path: '/events/publish' }, …]
 */
export function servedRoutes(app: CommandCenter['app']): { method: string; path: string }[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const out: { method: string; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const at = line.search(/[├└]── /);
    if (at < 0) continue;
    const depth = at / 4;
    const match = /^(.*) \(([A-Z, ]+)\)$/.exec(line.slice(at + 4));
    const segment = match ? match[1]! : line.slice(at + 4);
    const parent = depth === 0 ? '' : stack[depth - 1]!;
    // find-my-way prints each node's part after its parent's: '/' + 'events/publish', '/health' + '.json'.
    const full = parent + segment;
    stack[depth] = full;
    stack.length = depth + 1;
    if (!match) continue;
    for (const method of match[2]!.split(', ')) {
      if (method !== 'HEAD') out.push({ method, path: full.replace(/:([A-Za-z0-9_]+)/g, '{$1}') });
    }
  }
  return out;
}

export interface Operation {
  method: string;
  path: string;
  op: Record<string, any>;
}

/**
 * Every operation of an OpenAPI document.
 * @example operations(await (await fetch(`${url}/openapi.json`)).json())
 */
export function operations(doc: { paths: Record<string, Record<string, Record<string, any>>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) out.push({ method: method.toUpperCase(), path, op });
    }
  }
  return out;
}

/** A path with each `{param}` filled in. */
export function fillPath(path: string, value = 'hardening-x'): string {
  return path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
}

export interface Answer {
  status: number;
  type: string;
  body: string;
  headers: Headers;
}

/**
 * One request; an event stream is answered with its status and headers, then closed.
 * @example await call(url, 'GET', '/events/recent', { 'x-user-roles': 'viewer' })
 */
export async function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Uint8Array): Promise<Answer> {
  const controller = new AbortController();
  const res = await fetch(`${url}${path}`, { method, headers, signal: controller.signal, ...(body === undefined ? {} : { body }) });
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    controller.abort();
    return { status: res.status, type, body: '', headers: res.headers };
  }
  return { status: res.status, type, body: await res.text(), headers: res.headers };
}

export interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/**
 * One request with its path sent as written (`%ff`, `..`, `__proto__[x]=1` stay as they are, unlike fetch), answered
 * once the body ends; an event stream is answered at its headers, then closed.
 * @example await rawRequest(url, 'GET', '/events/recent?limit=%ff', { 'x-user-roles': 'viewer' })
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer, timeoutMs = 15_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sized = body === undefined ? headers : { ...headers, 'content-length': String(body.length) };
    const req = request({ host: hostname, port: Number(port), method, path, headers: sized, agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const type = res.headers['content-type'] ?? '';
      if (type.startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, type, body: '' });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
