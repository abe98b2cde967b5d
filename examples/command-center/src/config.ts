import { parseRouterEnv, type RouterConfig } from '@aetherlink/ai-router';
import { DEFAULT_RETENTION_POLICY, isAetherError, parseEgressRule, type RetentionKind, type RetentionPolicy } from '@aetherlink/core';
import { SERVICE_NAME_PATTERN } from '@aetherlink/registry';
import { z } from 'zod';

const bool = (name: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
      return z.NEVER;
    });

/** A comma-separated list of egress rules (CIDRs, addresses, host names, `*.suffix`), each checked as the policy will read it. */
const egressList = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const entries = (v ?? '').split(',').map((e) => e.trim()).filter(Boolean);
      for (const entry of entries) {
        try {
          parseEgressRule(entry);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `${(error as Error).message}; expected comma-separated CIDRs (10.0.0.0/8), addresses or host names (*.corp.example)` });
        }
      }
      return entries;
    });

const DAY_MS = 86_400_000;
/** Retention by age of one kind, in days (0 keeps it forever by age); the default from core's policy. */
const retentionDays = (kind: RetentionKind) =>
  z.coerce.number({ error: 'must be a number of days (0: no limit by age)' }).min(0).max(36_500).default(DEFAULT_RETENTION_POLICY[kind].maxAgeMs! / DAY_MS);
/** Retention by count of one kind (0 keeps any number). */
const retentionMax = (kind: RetentionKind) =>
  z.coerce.number({ error: 'must be a whole number (0: no limit by count)' }).int('must be a whole number').min(0).default(DEFAULT_RETENTION_POLICY[kind].maxCount!);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every variable the reference server reads (DESIGN §4), with its default. */
export const envSchema = z
  .object({
    PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be from 0 to 65535')
      .max(65535, 'must be from 0 to 65535')
      .default(8010),
    HOST: z.string().min(1).default('127.0.0.1'),
    // It doubles as the name the server registers itself under, so it follows the registry's rule.
    SERVICE_NAME: z
      .string()
      .max(60, 'must be at most 60 characters (instances append their id when they share a database)')
      .regex(SERVICE_NAME_PATTERN, "must be letters, digits, '.', '_' or '-', starting and ending with a letter or digit")
      .default('aetherlink-command-center'),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    AUDIT_LOG: z.string().min(1).default('stdout').describe('"stdout", "off", or a file path for audit JSON lines'),
    AETHERLINK_DB: z.string().min(1).default('./data/aetherlink.db').describe('SQLite file (":memory:" keeps nothing)'),
    AETHERLINK_DB_SYNC: z
      .enum(['full', 'normal'], { error: 'must be "full" or "normal"' })
      .default('full')
      .describe('full: an acknowledged event survives power loss; normal: survives a process crash, faster'),
    DATABASE_URL: z
      .string()
      .optional()
      .refine((v) => v === undefined || /^postgres(ql)?:\/\/[^/]+/.test(v), { message: 'must be a postgres:// or postgresql:// URL' }),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _)')
      .default('public'),
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,39}$/, "must be 1–39 letters, digits, '.', '_', ':' or '-', and unique among the instances")
      .optional(),
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional().describe('How other services reach this one (default: the listen address)'),
    SELF_REGISTER: bool('SELF_REGISTER'),
    SELF_REGISTER_TOKEN: z.string().min(1).optional(),
    REGISTRY_PROBE_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(3600).default(15),
    REGISTRY_PROBE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(5000),
    REGISTRY_PROBE_CONCURRENCY: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1024).default(16),
    REGISTRY_PROBE_ALLOW_PRIVATE: bool('REGISTRY_PROBE_ALLOW_PRIVATE').describe(
      'probes may reach private and loopback addresses (default true: registered services are internal)',
    ),
    REGISTRY_PROBE_ALLOW: egressList().describe('CIDRs and host names probes may reach even when private addresses are refused'),
    REGISTRY_PROBE_DENY: egressList().describe('CIDRs and host names probes never reach (wins over the allow list)'),
    REGISTRY_CRITICAL_FOR_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(604_800).default(300),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).max(600_000).default(10_000)
      .describe('How long a graceful shutdown may take before the process exits anyway'),
    SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(0).max(120_000).default(0)
      .describe('After SIGTERM, how long /health.json answers 503 before the server stops accepting connections'),
    METRICS_PERMISSION: z.enum(['public', 'ops:read', 'ops:operate'], { error: 'must be public, ops:read or ops:operate' }).default('public')
      .describe('Who may read /metrics'),
    DELIVERY_POLL_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(1000),
    EVENTS_STRICT: bool('EVENTS_STRICT'),
    RETENTION_EVENTS_DAYS: retentionDays('events'),
    RETENTION_EVENTS_MAX: retentionMax('events'),
    RETENTION_AUDIT_DAYS: retentionDays('audit'),
    RETENTION_AUDIT_MAX: retentionMax('audit'),
    RETENTION_HEAL_DAYS: retentionDays('heal'),
    RETENTION_HEAL_MAX: retentionMax('heal'),
    RETENTION_DELIVERIES_DAYS: retentionDays('deliveries').describe('finished deliveries; dead letters stay until replayed or purged'),
    RETENTION_DELIVERIES_MAX: retentionMax('deliveries'),
    RETENTION_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(86_400).default(60),
    RETENTION_BATCH: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1).max(100_000).default(1000)
      .describe('records removed per transaction'),
    RETENTION_SHARE: z.coerce.number({ error: 'must be a number from 0.01 to 1' }).min(0.01, 'must be from 0.01 to 1').max(1, 'must be from 0.01 to 1').default(0.1)
      .describe('share of time a retention pass spends deleting; it rests the remainder so publishes keep the disk'),
    AUTH_MODE: z.enum(['header', 'jwt'], { error: 'must be "header" or "jwt"' }).default('header'),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    JWT_ROLES_CLAIM: z.string().min(1).default('roles'),
  });

/** Variables that only some settings require; checked beside the schema so every problem is reported at once. */
const REQUIRED_WHEN: { when: (env: Record<string, string>) => boolean; because: string; variables: string[] }[] = [
  { when: (env) => env.AUTH_MODE === 'jwt', because: 'AUTH_MODE=jwt', variables: ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_JWKS_URL'] },
  {
    when: (env) => env.AUTH_MODE === 'jwt' && !/^(false|0|no|off)$/i.test(env.SELF_REGISTER ?? ''),
    because: 'AUTH_MODE=jwt (the server registers itself; set SELF_REGISTER=false to skip that)',
    variables: ['SELF_REGISTER_TOKEN'],
  },
];

/** The server's variables, and the AI router's configuration from its own (PROVIDER_ORDER, *_BASE_URL, …). */
export type Config = z.output<typeof envSchema> & { ai: RouterConfig };

/**
 * The retention policy the RETENTION_* variables describe.
 * @example retentionModule({ stores, policy: retentionPolicyOf(config) })
 */
export function retentionPolicyOf(config: Config): RetentionPolicy {
  const rule = (days: number, max: number) => ({ maxAgeMs: days * DAY_MS, maxCount: max });
  return {
    events: rule(config.RETENTION_EVENTS_DAYS, config.RETENTION_EVENTS_MAX),
    audit: rule(config.RETENTION_AUDIT_DAYS, config.RETENTION_AUDIT_MAX),
    heal: rule(config.RETENTION_HEAL_DAYS, config.RETENTION_HEAL_MAX),
    deliveries: rule(config.RETENTION_DELIVERIES_DAYS, config.RETENTION_DELIVERIES_MAX),
  };
}

/** Start-up stops with this when a variable is wrong; its message names each one. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `the configuration is invalid:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}\nFix the variables above and start again.`,
    );
    this.name = 'ConfigError';
  }
}

const SECRET = /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL/;

/**
 * Reads and validates the configuration from the environment.
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty variables count as unset, as shells and compose files often leave them.
  const present: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') present[k] = v;
  const parsed = envSchema.safeParse(present);
  const missing = REQUIRED_WHEN.filter((rule) => rule.when(present)).flatMap((rule) =>
    rule.variables.filter((v) => present[v] === undefined).map((variable) => ({ variable, message: `is required when ${rule.because}` })),
  );
  const ai = aiConfig(env);
  if (parsed.success && missing.length === 0 && !Array.isArray(ai)) return { ...parsed.data, ai };
  const problems = (parsed.success ? [] : parsed.error.issues).map((issue) => {
    const variable = String(issue.path[0] ?? 'environment');
    const value = present[variable];
    const shown = value === undefined ? '' : SECRET.test(variable) ? ' (value hidden)' : ` (got "${value}")`;
    return { variable, message: `${issue.message}${shown}` };
  });
  throw new ConfigError([...problems, ...missing, ...(Array.isArray(ai) ? ai : [])]);
}

// The router's own parser names the variable and never shows a key's value.
function aiConfig(env: Record<string, string | undefined>): RouterConfig | { variable: string; message: string }[] {
  try {
    return parseRouterEnv(env);
  } catch (error) {
    if (!isAetherError(error) || error.code !== 'config_invalid') throw error;
    return (error.errors ?? [{ field: 'environment', message: error.message }]).map((e) => ({ variable: e.field, message: e.message }));
  }
}
