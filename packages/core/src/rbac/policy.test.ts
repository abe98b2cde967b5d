import { describe, expect, it } from 'vitest';
import { authorize, createPolicy, DEFAULT_ROLES } from './policy.js';
import { chainResolvers, headerPrincipalResolver, STORED_ROLES_MAX, storedRoles } from './principal.js';

const p = (...roles: string[]) => ({ roles, via: 'test' });

describe('RBAC policy', () => {
  it('follows the permission table of DESIGN §3', () => {
    const table: [string, string[]][] = [
      ['ops:read', ['viewer', 'agent', 'operator', 'admin']],
      ['ops:operate', ['operator', 'admin']],
      ['events:publish', ['agent', 'operator', 'admin']],
      ['ai:invoke', ['agent', 'operator', 'admin']],
    ];
    for (const [permission, allowed] of table) {
      for (const role of Object.keys(DEFAULT_ROLES)) {
        expect(authorize(p(role), permission).allowed, `${role} → ${permission}`).toBe(allowed.includes(role));
      }
    }
  });

  it('tells 401 from 403', () => {
    expect(authorize(null, 'ops:read')).toEqual({ allowed: false, reason: 'unauthenticated' });
    expect(authorize(p('viewer'), 'ops:operate')).toEqual({ allowed: false, reason: 'forbidden' });
    expect(authorize(p(), 'ops:read')).toEqual({ allowed: false, reason: 'forbidden' });
    expect(authorize(null, 'public')).toEqual({ allowed: true });
  });

  it('lets an app add roles and permissions, with wildcards, case-insensitively', () => {
    const policy = createPolicy({ roles: { Auditor: ['audit:*'], viewer: ['ops:read', 'reports:read'] } });
    expect(policy.authorize(p('AUDITOR'), 'audit:export').allowed).toBe(true);
    expect(policy.authorize(p('auditor'), 'ops:read').allowed).toBe(false);
    expect(policy.authorize(p('viewer'), 'reports:read').allowed).toBe(true);
    expect(policy.authorize(p('admin'), 'anything:at-all').allowed).toBe(true);
    expect(createPolicy({ extendDefaults: false, roles: { x: ['a'] } }).authorize(p('admin'), 'a').allowed).toBe(false);
  });
});

describe('headerPrincipalResolver', () => {
  const resolve = headerPrincipalResolver();
  it('reads comma-separated roles, trimmed and lower-cased', async () => {
    expect(await resolve({ headers: { 'x-user-roles': ' Operator, viewer ,' } })).toEqual({ roles: ['operator', 'viewer'], via: 'header' });
    expect(await resolve({ headers: { 'x-user-roles': 'agent', 'x-user-id': 'u-1' } })).toEqual({ id: 'u-1', roles: ['agent'], via: 'header' });
  });
  it('treats a missing or empty header as no credentials', async () => {
    expect(await resolve({ headers: {} })).toBeNull();
    expect(await resolve({ headers: { 'x-user-roles': ' , ' } })).toBeNull();
  });
  it('refuses a roles or id header sent twice instead of trusting the first copy', () => {
    const twice = { headers: { 'x-user-roles': 'admin, viewer' }, rawHeaders: ['X-User-Roles', 'admin', 'x-user-roles', 'viewer'] };
    expect(() => resolve(twice)).toThrow(expect.objectContaining({ code: 'validation_failed', errors: [{ field: 'x-user-roles', message: expect.stringMatching(/once/), in: 'header' }] }));
    const ids = { headers: {}, rawHeaders: ['x-user-roles', 'viewer', 'x-user-id', 'a', 'X-USER-ID', 'b'] };
    expect(() => resolve(ids)).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'x-user-id' })] }));
    expect(() => resolve({ headers: { 'x-user-roles': ['admin', 'viewer'] } })).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(resolve({ headers: {}, rawHeaders: ['x-user-roles', 'viewer', 'x-other', 'y'] })).toEqual({ roles: ['viewer'], via: 'header' });
  });
  it('chains resolvers', async () => {
    const chained = chainResolvers([() => null, headerPrincipalResolver({ header: 'x-roles' })]);
    expect(await chained({ headers: { 'x-roles': 'admin' } })).toMatchObject({ roles: ['admin'] });
  });
});

describe('storedRoles', () => {
  it('keeps short lists as they are and caps long ones in count and length', () => {
    const few = ['viewer', 'agent'];
    expect(storedRoles(few)).toBe(few);
    const many = Array.from({ length: 2500 }, (_, i) => `r${i}`);
    expect(storedRoles(many)).toEqual(many.slice(0, STORED_ROLES_MAX));
    expect(storedRoles(['x'.repeat(500)])[0]).toHaveLength(64);
  });
});
