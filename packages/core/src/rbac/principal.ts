import { validationError } from '../errors.js';
import type { Principal } from './policy.js';

/** The little a resolver needs from a request: its headers, lower-cased as Node gives them. */
export interface RequestLike {
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * Node's raw header list `[name, value, …]`, when the adapter has it. Node builds `headers` lazily, so
   * reading one header from here spares building the whole object on the hot path.
   */
  readonly rawHeaders?: readonly string[];
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

/**
 * Reads one header of a request by its lower-case name, from `rawHeaders` when present.
 * @example readHeader(request, 'authorization')
 */
export function readHeader(request: RequestLike, name: string): string | undefined {
  const raw = request.rawHeaders;
  if (!raw) return headerValue(request.headers, name);
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

/**
 * Reads a header that must arrive at most once: a repeated one throws `validation_failed` (400) naming it, since
 * Node would join the copies with ", " and a proxy's appended value would lose to (or merge with) the client's.
 * Detection needs `rawHeaders` (or an array value); a plain headers object cannot show repeats.
 * @example readSingleHeader(req, 'x-user-roles')
 */
export function readSingleHeader(request: RequestLike, name: string): string | undefined {
  const raw = request.rawHeaders;
  if (!raw) {
    const value = request.headers[name];
    if (typeof value === 'string' || value === undefined) return value;
    if (value.length > 1) throw repeated(name, value.length);
    return value[0];
  }
  let found: string | undefined;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) {
      count++;
      found ??= raw[i + 1];
    }
  }
  if (count > 1) throw repeated(name, count);
  return found;
}

function repeated(name: string, count: number) {
  return validationError([{ field: name, message: `must be sent once; it arrived ${count} times`, in: 'header' }], 'the request is ambiguous');
}

/** Most roles a stored record (an event, an audit line) keeps of one principal, and the longest role name kept. */
export const STORED_ROLES_MAX = 32;
const STORED_ROLE_LENGTH_MAX = 64;

/**
 * The roles to store about a principal: at most STORED_ROLES_MAX, each at most 64 characters, so a header with
 * thousands of roles cannot blow up an event or an audit line. Returns the same array when nothing is cut.
 * @example storedRoles(principal.roles) // ['viewer']
 */
export function storedRoles(roles: readonly string[]): readonly string[] {
  if (roles.length <= STORED_ROLES_MAX) {
    let short = true;
    for (const role of roles) if (role.length > STORED_ROLE_LENGTH_MAX) short = false;
    if (short) return roles;
  }
  return roles.slice(0, STORED_ROLES_MAX).map((r) => (r.length > STORED_ROLE_LENGTH_MAX ? `${r.slice(0, STORED_ROLE_LENGTH_MAX - 1)}…` : r));
}

export interface HeaderResolverOptions {
  /** Default `x-user-roles` (comma-separated). */
  header?: string;
  /** Optional header naming the user, recorded as the principal id. Default `x-user-id`. */
  idHeader?: string;
}

/**
 * The seed's `X-User-Roles` header. Anyone can send it: use it only behind a trusted proxy or network. A request
 * carrying the roles or id header twice is refused (400) rather than trusting either copy.
 * @example const resolve = headerPrincipalResolver(); await resolve({ headers: { 'x-user-roles': 'operator' } })
 */
export function headerPrincipalResolver(options: HeaderResolverOptions = {}): PrincipalResolver {
  const header = (options.header ?? 'x-user-roles').toLowerCase();
  const idHeader = (options.idHeader ?? 'x-user-id').toLowerCase();
  // A fleet sends few distinct role headers; parsing each once keeps this off the hot path. Principals are frozen.
  const cache = new Map<string, Principal | null>();
  return (request) => {
    const raw = readSingleHeader(request, header);
    if (raw === undefined) return null;
    const id = readSingleHeader(request, idHeader);
    const key = id === undefined ? raw : `${raw}\u0000${id}`;
    let principal = cache.get(key);
    if (principal !== undefined) return principal;
    const roles = Object.freeze(raw.split(',').map((r) => r.trim().toLowerCase()).filter(Boolean));
    principal = roles.length === 0 ? null : Object.freeze(id ? { id, roles, via: 'header' } : { roles, via: 'header' });
    if (cache.size >= 512) cache.clear();
    cache.set(key, principal);
    return principal;
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
