import { compileEgressRules, decideHost, fieldErrorsFromZod, healthStatusSchema, validationError } from '@aetherlink/core';
import { z } from 'zod';

/** Bounds on what one registration may carry, so a misbehaving client cannot bloat the registry. */
export interface RegistrationLimits {
  maxTags: number;
  maxTagLength: number;
  maxRoles: number;
  maxMetaEntries: number;
  maxMetaKeyLength: number;
  maxMetaValueLength: number;
  minTtlSeconds: number;
  maxTtlSeconds: number;
}

/**
 * The bounds `createRegistry()` applies unless told otherwise.
 * @example createRegistry({ limits: { ...DEFAULT_LIMITS, maxTags: 8 } })
 */
export const DEFAULT_LIMITS: Readonly<RegistrationLimits> = Object.freeze({
  maxTags: 32,
  maxTagLength: 64,
  maxRoles: 16,
  maxMetaEntries: 32,
  maxMetaKeyLength: 64,
  maxMetaValueLength: 512,
  minTtlSeconds: 5,
  maxTtlSeconds: 86_400,
});

/**
 * Service names: they appear in URL paths, events and metrics labels.
 * @example SERVICE_NAME_PATTERN.test('billing-api') // true
 */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/;

/**
 * Meta keys under this prefix are reserved for AetherLink (versions before record fields kept settings there), so
 * registrations may not use them.
 * @example Object.keys(meta).some((k) => k.startsWith(RESERVED_META_PREFIX)) // refused
 */
export const RESERVED_META_PREFIX = 'aetherlink.';

const NAME_MESSAGE = "must be 1–100 letters, digits, '.', '_' or '-', starting and ending with a letter or digit";
const JSON_PATH = /^[A-Za-z0-9_$-]+(?:\[\d+\])*(?:\.[A-Za-z0-9_$-]+(?:\[\d+\])*)*$/;
const ROLE = /^[A-Za-z0-9_.:-]+$/;
const META_KEY = /^[A-Za-z0-9_.-]+$/;
// No whitespace, control characters or commas: tags are filtered on and listed comma-separated.
const TAG = /^[^\s,\p{Cc}]+$/u;

/**
 * A service's name, as registrations and routes accept it.
 * @example serviceNameSchema.parse('billing')
 */
export const serviceNameSchema = z.string({ error: 'must be a string' }).regex(SERVICE_NAME_PATTERN, NAME_MESSAGE);

/**
 * An absolute http(s) URL without credentials (registrations are readable by every operator).
 * @example httpUrlSchema.parse('http://billing:8080')
 */
export const httpUrlSchema = z
  .string({ error: 'must be a string' })
  .max(2048, 'must be at most 2048 characters')
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use http or https' });
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
  });

// No egress policy lets a probe reach these (link-local, cloud metadata, 0.0.0.0, multicast), so a registration
// naming one is refused whatever the checker's policy. Names are judged when looked up (vetHealthUrl, every connection).
const ANY_POLICY = compileEgressRules({ allowPrivate: true, allowLoopback: true });

function refusedEverywhere(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  const decision = decideHost(ANY_POLICY, host);
  return decision.outcome === 'refused' ? `may not be probed: ${decision.refusal.reason}` : null;
}

/**
 * A health URL: an http(s) URL without credentials, never a link-local or cloud metadata address or host.
 * @example healthUrlSchema.safeParse('http://169.254.169.254/').success // false
 */
export const healthUrlSchema = httpUrlSchema.superRefine((value, ctx) => {
  const refused = refusedEverywhere(value);
  if (refused) ctx.addIssue({ code: 'custom', message: refused });
});

const scalar = z.union([z.string().max(200), z.number(), z.boolean(), z.null()]);

/**
 * How the health checker judges one service, sent with its registration (wire names, snake_case).
 * @example checkSchema.parse({ status: '200-399', max_latency_ms: 500, body_path: 'status', body_ok: ['ok'] })
 */
export const checkSchema = z
  .strictObject({
    status: z
      .string()
      .superRefine((v, ctx) => {
        const m = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(v);
        if (!m) ctx.addIssue({ code: 'custom', message: 'must be a status code or a range such as "200-399"' });
        else if (m[2] !== undefined && Number(m[1]) > Number(m[2])) ctx.addIssue({ code: 'custom', message: 'must be a range from low to high' });
      })
      .optional(),
    max_latency_ms: z.number().int('must be a whole number').min(1).max(600_000).optional(),
    timeout_ms: z.number().int('must be a whole number').min(50).max(60_000).optional(),
    body_path: z.string().max(200).regex(JSON_PATH, 'must be a dotted JSON path such as "status" or "checks.db[0].state"').optional(),
    body_ok: z.array(scalar).min(1).max(16).optional(),
    body_degraded: z.array(scalar).max(16).optional(),
  })
  .superRefine((check, ctx) => {
    if ((check.body_ok || check.body_degraded) && !check.body_path) {
      ctx.addIssue({ code: 'custom', path: ['body_path'], message: 'is required with body_ok or body_degraded' });
    }
  });

export type CheckInput = z.input<typeof checkSchema>;
export type Check = z.output<typeof checkSchema>;

const dedupe = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * The schema of a registration (the body of `POST /ops/register`) under the given bounds. Its output has
 * `health_url` filled in (`url` + `/ping`), tags and roles de-duplicated, and `ttl_seconds` null without a lease.
 * @example const schema = createRegistrationSchema({ ...DEFAULT_LIMITS, maxTags: 8 })
 */
export function createRegistrationSchema(limits: RegistrationLimits = DEFAULT_LIMITS) {
  return z
    .strictObject({
      name: serviceNameSchema,
      url: httpUrlSchema,
      health_url: healthUrlSchema.nullish(),
      version: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(64, 'must be at most 64 characters').nullish(),
      roles_required: z
        .array(z.string().min(1).max(64, 'must be at most 64 characters').regex(ROLE, "must be letters, digits, '_', '.', ':' or '-'"), {
          error: 'must be a list of role names',
        })
        .max(limits.maxRoles, `must have at most ${limits.maxRoles} roles`)
        .default([]),
      tags: z
        .array(
          z
            .string()
            .min(1, 'must not be empty')
            .max(limits.maxTagLength, `must be at most ${limits.maxTagLength} characters`)
            .regex(TAG, 'must not contain spaces, commas or control characters'),
          { error: 'must be a list of strings' },
        )
        .max(limits.maxTags, `must have at most ${limits.maxTags} tags`)
        .default([]),
      meta: z
        .record(
          z
            .string()
            .max(limits.maxMetaKeyLength, `keys must be at most ${limits.maxMetaKeyLength} characters`)
            .regex(META_KEY, "keys must be letters, digits, '_', '.' or '-'")
            .refine((k) => !k.startsWith(RESERVED_META_PREFIX), `keys starting with "${RESERVED_META_PREFIX}" are reserved`),
          z.string({ error: 'values must be strings' }).max(limits.maxMetaValueLength, `values must be at most ${limits.maxMetaValueLength} characters`),
          { error: 'must be an object of strings' },
        )
        .refine((m) => Object.keys(m).length <= limits.maxMetaEntries, `must have at most ${limits.maxMetaEntries} entries`)
        .default({}),
      ttl_seconds: z
        .number({ error: 'must be a number of seconds' })
        .int('must be a whole number')
        .min(limits.minTtlSeconds, `must be at least ${limits.minTtlSeconds}`)
        .max(limits.maxTtlSeconds, `must be at most ${limits.maxTtlSeconds}`)
        .nullish()
        .describe('Ask for a lease: renew it with a heartbeat within this many seconds or turn down'),
      check: checkSchema.nullish(),
    })
    .superRefine((r, ctx) => {
      // Runs even when url is invalid (zod reports field issues and goes on): only a parsable url has a default.
      if (r.health_url != null || !URL.canParse(r.url)) return;
      const refused = refusedEverywhere(defaultHealthUrl(r.url));
      if (refused) ctx.addIssue({ code: 'custom', path: ['health_url'], message: `${refused} (health_url defaults to url + "/ping")` });
    })
    .transform((r) => ({
      name: r.name,
      url: r.url,
      health_url: r.health_url ?? defaultHealthUrl(r.url),
      version: r.version ?? null,
      roles_required: dedupe(r.roles_required),
      tags: dedupe(r.tags),
      meta: r.meta,
      ttl_seconds: r.ttl_seconds ?? null,
      check: r.check ?? null,
    }));
}

/**
 * The body of `POST /ops/register` under the default bounds.
 * @example const registration = registrationSchema.parse({ name: 'billing', url: 'http://billing:8080' })
 */
export const registrationSchema = createRegistrationSchema();

export type RegistrationInput = z.input<typeof registrationSchema>;
export type Registration = z.output<typeof registrationSchema>;

/**
 * The schema of a heartbeat body under the given bounds; optional as a whole. `ttl_seconds` starts or changes the lease.
 * @example createHeartbeatSchema(registry.limits).parse(undefined) // {}
 */
export function createHeartbeatSchema(limits: RegistrationLimits = DEFAULT_LIMITS) {
  return z
    .strictObject({
      ttl_seconds: z
        .number({ error: 'must be a number of seconds' })
        .int('must be a whole number')
        .min(limits.minTtlSeconds, `must be at least ${limits.minTtlSeconds}`)
        .max(limits.maxTtlSeconds, `must be at most ${limits.maxTtlSeconds}`)
        .optional(),
    })
    .optional()
    .transform((b) => b ?? {});
}

/**
 * A heartbeat body under the default bounds.
 * @example heartbeatSchema.parse({ ttl_seconds: 90 })
 */
export const heartbeatSchema = createHeartbeatSchema();

/**
 * The seed's default health endpoint: the service URL with `/ping` appended to its path.
 * @example defaultHealthUrl('http://api:8080/') // 'http://api:8080/ping'
 */
export function defaultHealthUrl(url: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/ping`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/**
 * Parses with a schema or throws `validation_failed` naming every bad field.
 * @example const registration = parseOrThrow(registrationSchema, body, 'the registration is invalid')
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  summary: string,
  naming: { prefix?: string; rename?: (field: string) => string } = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationError(fieldErrorsFromZod(result.error, naming), summary);
}

const serviceCheckSchema = z.object({ checked_at: z.string(), latency_ms: z.number().nullable(), error: z.string().nullable() });

/**
 * One service as `GET /ops/services` returns it (DESIGN §4 fields first; the rest are extras).
 * @example serviceViewSchema.parse(await registry.get('billing'))
 */
export const serviceViewSchema = z.object({
  name: z.string(),
  url: z.string(),
  health_url: z.string(),
  version: z.string().nullable(),
  roles_required: z.array(z.string()),
  tags: z.array(z.string()),
  last_seen: z.string(),
  status: healthStatusSchema,
  status_since: z.string(),
  registered_at: z.string(),
  ttl_seconds: z.number().nullable(),
  lease_expires_at: z.string().nullable(),
  meta: z.record(z.string(), z.string()),
  check: checkSchema.nullable(),
  last_check: serviceCheckSchema.nullable(),
});

/**
 * The answer of `GET /ops/health` (DESIGN §4).
 * @example healthReportSchema.parse(await checker.checkAll())
 */
export const healthReportSchema = z.object({
  status: healthStatusSchema,
  checked_at: z.string(),
  services: z.array(
    z.object({
      name: z.string(),
      status: healthStatusSchema,
      latency_ms: z.number().nullable(),
      error: z.string().nullable(),
      checked_at: z.string().nullable(),
    }),
  ),
});
