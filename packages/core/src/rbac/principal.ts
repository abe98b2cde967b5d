import type { Principal } from './policy.js';

/** The little a resolver needs from a request: its headers, lower-cased as Node gives them. */
export interface RequestLike {
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/**
 * Finds who is asking. Returns null when the request carries no credential (→ 401);
 * throws `unauthorized` when it carries a bad one (→ 401 with the reason).
 */
export type PrincipalResolver = (request: RequestLike) => Principal | null | Promise<Principal | null>;

/**
 * Reads one header value (the first, when repeated).
 * @example headerValue(req.headers, 'x-user-roles')
 */
export function headerValue(headers: RequestLike['headers'], name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

export interface HeaderResolverOptions {
  /** Default `x-user-roles` (comma-separated). */
  header?: string;
  /** Optional header naming the user, recorded as the principal id. Default `x-user-id`. */
  idHeader?: string;
}

/**
 * The seed's `X-User-Roles` header. Anyone can send it: use it only behind a trusted proxy or network.
 * @example const resolve = headerPrincipalResolver(); await resolve({ headers: { 'x-user-roles': 'operator' } })
 */
export function headerPrincipalResolver(options: HeaderResolverOptions = {}): PrincipalResolver {
  const header = (options.header ?? 'x-user-roles').toLowerCase();
  const idHeader = (options.idHeader ?? 'x-user-id').toLowerCase();
  return (request) => {
    const raw = headerValue(request.headers, header);
    if (raw === undefined) return null;
    const roles = raw.split(',').map((r) => r.trim().toLowerCase()).filter(Boolean);
    if (roles.length === 0) return null;
    const id = headerValue(request.headers, idHeader);
    return id ? { id, roles, via: 'header' } : { roles, via: 'header' };
  };
}

/**
 * Tries resolvers in order and returns the first principal found.
 * @example chainResolvers([jwtPrincipalResolver(opts), headerPrincipalResolver()])
 */
export function chainResolvers(resolvers: readonly PrincipalResolver[]): PrincipalResolver {
  return async (request) => {
    for (const resolve of resolvers) {
      const principal = await resolve(request);
      if (principal) return principal;
    }
    return null;
  };
}
