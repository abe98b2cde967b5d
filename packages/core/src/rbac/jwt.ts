import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import { AetherError } from '../errors.js';
import { readJsonPath } from '../json-path.js';
import type { Principal } from './policy.js';
import { readSingleHeader, type PrincipalResolver } from './principal.js';

export interface JwtResolverOptions {
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (one or several). */
  audience: string | string[];
  /** Fetch signing keys from this JWKS URL (cached, refreshed on unknown `kid`). */
  jwksUrl?: string;
  /** Or verify with this key: a JWK set, one public JWK, a CryptoKey or an HMAC secret. */
  key?: { keys: JWK[] } | JWK | CryptoKey | Uint8Array;
  /** Dotted path to the roles array in the token, e.g. Keycloak's `realm_access.roles`. Default `roles`. */
  rolesClaim?: string;
  /** Allowed algorithms. Default: whatever the key supports. */
  algorithms?: string[];
  /**
   * Refuse tokens issued (`iat`) longer ago than this, whatever their `exp` says; tokens must then carry `iat`.
   * Default: no limit beyond `exp`, which every token must carry.
   */
  maxTokenAgeSeconds?: number;
  /** Seconds of clock skew tolerated. Default 5. */
  clockToleranceSeconds?: number;
  clock?: Clock;
  /** Timeout for fetching the JWKS, ms. Default 5000. */
  jwksTimeoutMs?: number;
}

/**
 * Verifies `Authorization: Bearer <JWT>` with jose. No header → null (401); the header twice → `validation_failed` (400); a bad token (including one without
 * `exp`, or older than `maxTokenAgeSeconds`) → `unauthorized` with the reason; a valid token without the roles claim → a principal with no roles (403 on protected routes).
 * @example
 * const resolve = jwtPrincipalResolver({ issuer: 'https://sso/realms/ops', audience: 'aetherlink',
 *   jwksUrl: 'https://sso/realms/ops/protocol/openid-connect/certs', rolesClaim: 'realm_access.roles' });
 */
export function jwtPrincipalResolver(options: JwtResolverOptions): PrincipalResolver {
  const clock = options.clock ?? systemClock;
  const rolesPath = options.rolesClaim ?? 'roles';
  const key = resolveKey(options);
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds ?? 5,
    // A token without an expiry would be valid forever once leaked.
    requiredClaims: options.maxTokenAgeSeconds === undefined ? ['exp'] : ['exp', 'iat'],
    ...(options.maxTokenAgeSeconds !== undefined ? { maxTokenAge: options.maxTokenAgeSeconds } : {}),
    ...(options.algorithms ? { algorithms: options.algorithms } : {}),
  };

  return async (request) => {
    // Two copies are ambiguous (a proxy's and the client's): refused (400) rather than trusting either.
    const header = readSingleHeader(request, 'authorization');
    if (!header) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
    let payload: JWTPayload;
    try {
      const currentDate = new Date(clock.now());
      // Two calls because jose's overloads type a key-resolving function and a key apart.
      const result =
        typeof key === 'function'
          ? await jwtVerify(match[1]!, key, { ...verifyOptions, currentDate })
          : await jwtVerify(match[1]!, key, { ...verifyOptions, currentDate });
      payload = result.payload;
    } catch (error) {
      if (keysUnavailable(error)) {
        // Our side failed (keys unreachable), not the caller's token: 503, so clients retry rather than re-login.
        throw new AetherError('unavailable', 'the token signing keys could not be fetched; try again shortly', { cause: error });
      }
      throw unauthorized(describeJoseError(error), error);
    }
    const found = readJsonPath(payload, rolesPath);
    const roles = found.found ? found.value : undefined;
    const principal: Principal = {
      roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase()) : [],
      via: 'jwt',
      claims: payload,
    };
    if (typeof payload.sub === 'string') principal.id = payload.sub;
    return principal;
  };
}

function resolveKey(options: JwtResolverOptions): JWTVerifyGetKey | CryptoKey | Uint8Array {
  if (options.jwksUrl) {
    return createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: options.jwksTimeoutMs ?? 5000 });
  }
  const key = options.key;
  if (!key) throw new AetherError('config_invalid', 'jwtPrincipalResolver needs either jwksUrl or key');
  if (key instanceof Uint8Array) return key;
  if (typeof (key as CryptoKey).algorithm === 'object' && 'type' in (key as object)) return key as CryptoKey;
  if ('keys' in (key as object)) return createLocalJWKSet(key as { keys: JWK[] });
  return createLocalJWKSet({ keys: [key as JWK] });
}

// Our side failed (the key set could not be fetched or read), not the caller's token.
function keysUnavailable(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true;
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  return error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/i.test(error.message);
}


function unauthorized(reason: string, cause?: unknown): AetherError {
  return new AetherError('unauthorized', `the bearer token was rejected: ${reason}`, {
    cause,
    details: { www_authenticate: `Bearer error="invalid_token", error_description="${reason.replace(/"/g, "'")}"` },
  });
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return error.claim === 'iat' ? 'it is older than the maximum token age' : 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `it has no "${error.claim}" claim`;
    if (error.claim === 'aud') return 'its audience is not accepted here';
    if (error.claim === 'iss') return 'its issuer is not accepted here';
    if (error.claim === 'nbf') return 'it is not valid yet';
    return `its "${error.claim}" claim is invalid`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no known key matches it';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'it is not a well-formed JWT';
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'it could not be verified';
}
