/** Permissions the reference server uses (DESIGN §3). Apps add their own strings freely. */
export const PERMISSIONS = {
  public: 'public',
  opsRead: 'ops:read',
  opsOperate: 'ops:operate',
  eventsPublish: 'events:publish',
  aiInvoke: 'ai:invoke',
  crmRead: 'crm:read',
  crmWrite: 'crm:write',
} as const;

export type Permission = (typeof PERMISSIONS)[keyof typeof PERMISSIONS] | (string & {});

/** Roles → the permissions they grant. `*` grants everything; `ops:*` grants every `ops:` permission. */
export type RoleTable = Readonly<Record<string, readonly string[]>>;

/** The four roles of DESIGN §3 as data. */
export const DEFAULT_ROLES: RoleTable = {
  admin: ['*'],
  operator: ['ops:read', 'ops:operate', 'events:publish', 'ai:invoke'],
  agent: ['ops:read', 'events:publish', 'ai:invoke', 'crm:read', 'crm:write'],
  viewer: ['ops:read', 'crm:read'],
};

/** Who is asking: the roles a resolver found, and where it found them. */
export interface Principal {
  /** Subject or user id when the credential names one. */
  id?: string;
  roles: readonly string[];
  /** Which resolver produced it: `header`, `jwt`, or an app's own. */
  via: string;
  claims?: Readonly<Record<string, unknown>>;
}

export type AuthzDecision =
  | { allowed: true }
  | { allowed: false; reason: 'unauthenticated' | 'forbidden' };

export interface Policy {
  readonly roles: RoleTable;
  /** Public → allowed; no principal → unauthenticated (401); lacking the permission → forbidden (403). */
  authorize(principal: Principal | null | undefined, permission: Permission): AuthzDecision;
  /** Every permission string the roles grant (wildcards as written). */
  permissionsOf(roles: readonly string[]): string[];
}

export interface PolicyOptions {
  /** Roles to add, or to replace by name. */
  roles?: RoleTable;
  /** Start from DEFAULT_ROLES. Default true. */
  extendDefaults?: boolean;
}

const ALLOWED: AuthzDecision = Object.freeze({ allowed: true });
const FORBIDDEN: AuthzDecision = Object.freeze({ allowed: false, reason: 'forbidden' });
const UNAUTHENTICATED: AuthzDecision = Object.freeze({ allowed: false, reason: 'unauthenticated' });

/**
 * Builds the RBAC policy; role names are matched case-insensitively.
 * @example
 * const policy = createPolicy({ roles: { auditor: ['ops:read', 'audit:export'] } });
 * policy.authorize({ roles: ['auditor'], via: 'header' }, 'audit:export'); // { allowed: true }
 */
export function createPolicy(options: PolicyOptions = {}): Policy {
  const table: Record<string, readonly string[]> = {};
  const source = { ...(options.extendDefaults === false ? {} : DEFAULT_ROLES), ...options.roles };
  for (const [role, perms] of Object.entries(source)) table[role.toLowerCase()] = [...perms];
  const grants = new Map<string, (permission: string) => boolean>();
  for (const [role, perms] of Object.entries(table)) grants.set(role, compileGrants(perms));

  return {
    roles: table,
    authorize(principal, permission) {
      if (permission === PERMISSIONS.public) return ALLOWED;
      if (!principal) return UNAUTHENTICATED;
      for (const role of principal.roles) {
        // Resolvers hand over lower-case roles; lower-casing again is only for principals built by hand.
        const grant = grants.get(role) ?? grants.get(role.toLowerCase());
        if (grant?.(permission)) return ALLOWED;
      }
      return FORBIDDEN;
    },
    permissionsOf(roles) {
      return [...new Set(roles.flatMap((r) => table[r.toLowerCase()] ?? []))];
    },
  };
}

function compileGrants(perms: readonly string[]): (permission: string) => boolean {
  if (perms.includes('*')) return () => true;
  const exact = new Set(perms.filter((p) => !p.endsWith('*')));
  const prefixes = perms.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (permission) => exact.has(permission) || prefixes.some((p) => permission.startsWith(p));
}

/** The policy of DESIGN §3. */
export const defaultPolicy: Policy = createPolicy();

/**
 * `defaultPolicy.authorize` as a function.
 * @example authorize({ roles: ['viewer'], via: 'header' }, 'ops:operate') // { allowed: false, reason: 'forbidden' }
 */
export function authorize(principal: Principal | null | undefined, permission: Permission, policy: Policy = defaultPolicy): AuthzDecision {
  return policy.authorize(principal, permission);
}
