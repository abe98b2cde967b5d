// Issue #17, item 1: every operation of the served /openapi.json, called as anonymous, viewer, agent, operator and
// admin, in header mode and in JWT mode (a JWKS on 127.0.0.1), against DESIGN §3. A served route the document
// omits fails, and so does an operation without a stated permission.
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { designAllows, designRule } from './design-access.js';
import { call, fillPath, jwtEnv, operations, ROLES, servedRoutes, startInProcess, startJwks, type InProcessServer, type Jwks, type Operation, type Role } from './harness.js';

type Mode = 'header' | 'jwt';
const WHO = ['anonymous', ...ROLES] as const;

describe('access matrix: every operation × role × auth mode against DESIGN §3', () => {
  let jwks: Jwks;
  const servers = {} as Record<Mode, InProcessServer>;
  let ops: Operation[];
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    jwks = await startJwks();
    servers.header = await startInProcess();
    servers.jwt = await startInProcess(jwtEnv(jwks));
    ops = operations((await (await fetch(`${servers.header.url}/openapi.json`)).json()) as never);
    for (const role of ROLES) tokens.set(role, await jwks.token([role]));
  });
  afterAll(async () => {
    await servers.header?.close();
    await servers.jwt?.close();
    await jwks?.close();
  });

  it('documents every route it serves; what it leaves out is a public static asset', async () => {
    for (const mode of ['header', 'jwt'] as const) {
      const { cc, url } = servers[mode];
      const documented = new Set(ops.map((o) => `${o.method} ${o.path}`));
      const specs = new Map(cc.routes.map((r) => [`${r.method} ${r.path}`, r]));
      const undocumented: string[] = [];
      for (const { method, path } of servedRoutes(cc.app)) {
        const key = `${method} ${path}`;
        if (documented.has(key)) continue;
        const spec = specs.get(key);
        // Left out on purpose: the dashboard's and the docs viewer's files, which anyone may load.
        if (spec?.openapi?.hidden && spec.permission === 'public' && method === 'GET' && !path.includes('{')) {
          const res = await call(url, 'GET', path);
          if (res.status === 200 && /^(text\/(html|css|javascript)|application\/javascript)/.test(res.type)) continue;
        }
        undocumented.push(key);
      }
      expect(undocumented, `${mode}: served but not in /openapi.json`).toEqual([]);
      expect(servedRoutes(cc.app).length).toBeGreaterThanOrEqual(ops.length);
    }
  });

  it('states a permission on every operation, the one DESIGN §3 gives it', () => {
    const problems: string[] = [];
    for (const { method, path, op } of ops) {
      const stated = op['x-permission'] as string | undefined;
      const rule = designRule(method, path);
      if (!stated) problems.push(`${method} ${path}: no x-permission in the document`);
      else if (!rule) problems.push(`${method} ${path}: DESIGN §3 states no permission for it (served as ${stated})`);
      else if (rule.permission !== stated) problems.push(`${method} ${path}: served as ${stated}, DESIGN §3 says ${rule.permission} (${rule.why})`);
      if (stated && stated !== 'public' && !(op.security as unknown[] | undefined)?.length) problems.push(`${method} ${path}: no security requirement`);
    }
    expect(problems).toEqual([]);
  });

  const credentials = (mode: Mode, who: (typeof WHO)[number]): Record<string, string> => {
    if (who === 'anonymous') return {};
    return mode === 'header' ? { 'x-user-roles': who } : { authorization: `Bearer ${tokens.get(who)}` };
  };

  for (const mode of ['header', 'jwt'] as const) {
    it(`answers each role as DESIGN §3 says, in ${mode} mode`, async () => {
      const { url } = servers[mode];
      const wrong: string[] = [];
      let checked = 0;
      let forbidden = 0;
      for (const { method, path, op } of ops) {
        const permission = designRule(method, path)?.permission ?? (op['x-permission'] as never);
        const documented = new Set(Object.keys(op.responses ?? {}).map(Number));
        for (const who of WHO) {
          const headers = { ...credentials(mode, who), ...(op.requestBody ? { 'content-type': 'application/json' } : {}) };
          const res = await call(url, method, fillPath(path), headers, op.requestBody ? '{}' : undefined);
          checked++;
          const label = `${mode} ${who} ${method} ${path} → ${res.status} ${res.body.slice(0, 160)}`;
          if (designAllows(who, permission)) {
            if (res.status === 401 || res.status === 403 || (res.status >= 500 && !documented.has(res.status))) wrong.push(`${label} (expected to be let through)`);
          } else if (who === 'anonymous') {
            if (res.status !== 401 || !res.type.startsWith('application/problem+json') || !res.headers.get('www-authenticate')) wrong.push(`${label} (expected 401 problem+json with WWW-Authenticate)`);
          } else {
            forbidden++;
            if (res.status !== 403 || !res.type.startsWith('application/problem+json')) wrong.push(`${label} (expected 403 problem+json)`);
          }
        }
      }
      expect(wrong).toEqual([]);
      expect(checked).toBe(ops.length * WHO.length);
      console.info(`[hardening] access matrix ${mode} mode: ${ops.length} operations × ${WHO.length} principals = ${checked} requests, ${forbidden} answered 403`);
      // Every 403 is published as a security.rbac.violation event.
      const violations = async () => {
        const res = await call(url, 'GET', '/events/recent?event_type=security.rbac.violation&limit=1000', credentials(mode, 'admin'));
        return (JSON.parse(res.body) as { count: number }).count;
      };
      await eventually(async () => (await violations()) === forbidden, `${forbidden} security.rbac.violation events`);
    });
  }

  it('guards HEAD like GET', async () => {
    const wrong: string[] = [];
    for (const { method, path, op } of ops) {
      if (method !== 'GET' || op['x-permission'] === 'public' || op['x-permission'] === undefined) continue;
      const res = await fetch(`${servers.header.url}${fillPath(path)}`, { method: 'HEAD', headers: { 'x-user-roles': 'nobody' } });
      const anon = await fetch(`${servers.header.url}${fillPath(path)}`, { method: 'HEAD' });
      if (res.status !== 403 || anon.status !== 401) wrong.push(`HEAD ${path}: ${anon.status} anonymous, ${res.status} for an unknown role`);
    }
    expect(wrong).toEqual([]);
  });
});
