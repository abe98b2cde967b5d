import { parseRouterEnv, type RouterConfig } from '@aetherlink/ai-router';
import { DEFAULT_RETRY_SCHEDULE_MS, parseRetrySchedule, parseWebhookTarget, webhookSecretKey } from '@aetherlink/alerts';
import { compileEgressRules, decideHost, DEFAULT_RETENTION_POLICY, isAetherError, parseEgressRule, type RetentionKind, type RetentionPolicy } from '@aetherlink/core';
import { SERVICE_NAME_PATTERN } from '@aetherlink/registry';
import { z } from 'zod';
import { autohealEndpointsVariable, autohealProcessesVariable, autohealServicesVariable, autohealTargets, dockerHostVariable } from './autoheal-config.js';
import type { HealTarget } from '@aetherlink/autoheal';

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
/** ALERT_WEBHOOKS: comma-separated webhook URLs, each read as the alerts module will (never echoing one: they carry tokens). */
const webhookList = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const entries = (v ?? '').split(',').map((e) => e.trim()).filter(Boolean);
      entries.forEach((entry, i) => {
        try {
          parseWebhookTarget(entry, `entry ${i + 1}`);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (isAetherError(error) && error.errors?.[0] ? `entry ${i + 1} ${error.errors[0].message}` : 'is invalid') });
        }
      });
      return entries;
    });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every variable the reference server reads (DESIGN §4), with its default. */
export const envSchema = z
  .object({
    PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be from 0 to 65535')
      .max(65535, 'must be from 0 to 65535')
      .default(8010)
      .describe('port to listen on (0 picks a free one)'),
    HOST: z.string().min(1).default('127.0.0.1').describe('address to listen on; 0.0.0.0 in a container'),
    // It doubles as the name the server registers itself under, so it follows the registry's rule.
    SERVICE_NAME: z
      .string()
      .max(60, 'must be at most 60 characters (instances append their id when they share a database)')
      .regex(SERVICE_NAME_PATTERN, "must be letters, digits, '.', '_' or '-', starting and ending with a letter or digit")
      .default('aetherlink-command-center')
      .describe('name in /ops/ping, audit records, events and the registry'),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info').describe(`pino level: ${LOG_LEVELS.join(', ')}`),
    AUDIT_LOG: z.string().min(1).default('stdout').describe('"stdout", "off", or a file path for audit JSON lines'),
    AETHERLINK_DB: z.string().min(1).default('./data/aetherlink.db').describe('the SQLite file, created with its directory (":memory:" keeps nothing)'),
    AETHERLINK_DB_SYNC: z
      .enum(['full', 'normal'], { error: 'must be "full" or "normal"' })
      .default('full')
      .describe('full: an acknowledged event survives power loss; normal: survives a process crash, faster'),
    DATABASE_URL: z
      .string()
      .optional()
      .refine((v) => v === undefined || /^postgres(ql)?:\/\/[^/]+/.test(v), { message: 'must be a postgres:// or postgresql:// URL' })
      .meta({ description: 'postgres://…: use PostgreSQL instead of SQLite, so several instances share events, queue and registry' }),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _)')
      .default('public')
      .describe('PostgreSQL schema for all tables (several deployments can share one database)'),
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,39}$/, "must be 1–39 letters, digits, '.', '_', ':' or '-', and unique among the instances")
      .optional()
      .meta({ description: "this instance's name in leases and /ops/instance", defaultDescription: 'host:pid:random' }),
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()
      .meta({ description: 'how other services reach this one (self-registration)', defaultDescription: 'the listen address' }),
    SELF_REGISTER: bool('SELF_REGISTER').meta({ description: 'register this server in its own registry (heartbeat lease, deregistered on shutdown)', default: 'true' }),
    SELF_REGISTER_TOKEN: z.string().min(1).optional()
      .meta({ description: 'bearer token for self-registration; required when AUTH_MODE=jwt and SELF_REGISTER is on' }),
    REGISTRY_PROBE_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(3600).default(15)
      .describe('how often registered services are probed'),
    REGISTRY_PROBE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(5000)
      .describe('per-probe timeout'),
    REGISTRY_PROBE_CONCURRENCY: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1024).default(16)
      .describe('probes in flight at once'),
    REGISTRY_PROBE_ALLOW_PRIVATE: bool('REGISTRY_PROBE_ALLOW_PRIVATE').meta({
      description: 'probes may reach private and loopback addresses (registered services are internal); link-local and cloud metadata addresses are refused always',
      default: 'true',
    }),
    REGISTRY_PROBE_ALLOW: egressList().describe('comma-separated CIDRs, addresses or host names (*.corp.example) probes may reach even when private addresses are refused'),
    REGISTRY_PROBE_DENY: egressList().describe('comma-separated CIDRs, addresses or host names probes never reach (wins over the allow list)'),
    REGISTRY_CRITICAL_FOR_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(604_800).default(300)
      .describe('a service whose lease expired is deregistered after this long'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).max(600_000).default(10_000)
      .describe('how long a graceful shutdown may take before the process exits anyway'),
    SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(0).max(120_000).default(0)
      .describe('after SIGTERM, how long /health.json answers 503 before the server stops accepting connections'),
    METRICS_PERMISSION: z.enum(['public', 'ops:read', 'ops:operate'], { error: 'must be public, ops:read or ops:operate' }).default('public')
      .describe('who may read /metrics: public, ops:read or ops:operate'),
    DELIVERY_POLL_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(1000)
      .describe('how often this instance looks for due webhook deliveries'),
    ALERT_EVAL_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1, 'must be at least 1').max(3600, 'must be at most 3600').default(15)
      .describe('how often one instance of the fleet evaluates every alert rule (POST /alerts/evaluate runs one evaluation now)'),
    ALERT_WEBHOOKS: webhookList().describe('webhooks every alert goes to, comma-separated; the host picks the channel, or a prefix such as slack+https://… or alertmanager+http://…'),
    ALERT_WEBHOOK_SECRET: z
      .string()
      .optional()
      .refine((v) => {
        if (v === undefined) return true;
        try {
          webhookSecretKey(v);
          return true;
        } catch {
          return false;
        }
      }, 'must be a Standard Webhooks secret: whsec_ followed by base64 of 16 to 128 random bytes')
      .describe('signs every delivery to the ALERT_WEBHOOKS endpoints (Standard Webhooks)'),
    ALERT_WEBHOOK_ALLOW_PRIVATE: bool('ALERT_WEBHOOK_ALLOW_PRIVATE').meta({ description: 'webhooks may reach private and loopback addresses', default: 'false' }),
    ALERT_WEBHOOK_ALLOW: egressList().describe('comma-separated CIDRs, addresses or host names webhooks may reach even when private addresses are refused'),
    ALERT_WEBHOOK_DENY: egressList().describe('comma-separated CIDRs, addresses or host names webhooks never reach (wins over the allow list)'),
    ALERT_WEBHOOK_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).max(120_000).default(10_000)
      .describe('deadline of one delivery attempt, answer included'),
    ALERT_WEBHOOK_RETRY_SCHEDULE: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return [...DEFAULT_RETRY_SCHEDULE_MS];
        try {
          return parseRetrySchedule(v, 'ALERT_WEBHOOK_RETRY_SCHEDULE');
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `${(error as Error).message.replace(/^ALERT_WEBHOOK_RETRY_SCHEDULE: /, '')}; expected delays between attempts such as 5s,5m,30m,2h` });
          return z.NEVER;
        }
      })
      .meta({ description: 'delays between delivery attempts (±20 % jitter)', default: '5s,5m,30m,2h,5h,10h,10h' }),
    SSE_WRITES_PER_SECOND: z.coerce.number({ error: 'must be a number of writes a second (0: write every event as it comes)' }).int('must be a whole number').min(0).default(20_000)
      .describe('stream writes a second across /events/stream: busy streams wait their turn and send what arrived meanwhile in one write (1,000 streams: ~50 ms a round)'),
    EVENTS_STRICT: bool('EVENTS_STRICT').meta({ description: 'reject event types that are not registered', default: 'false' }),
    RETENTION_EVENTS_DAYS: retentionDays('events').describe('events older than this many days are removed (0: no limit by age)'),
    RETENTION_EVENTS_MAX: retentionMax('events').describe('events beyond this many are removed, oldest first (0: no limit by count)'),
    RETENTION_AUDIT_DAYS: retentionDays('audit').describe('audit records older than this many days are removed (/audit/stats keeps counting them)'),
    RETENTION_AUDIT_MAX: retentionMax('audit').describe('audit records beyond this many are removed, oldest first'),
    RETENTION_HEAL_DAYS: retentionDays('heal').describe('auto-heal history older than this many days is removed (its stats keep counting it)'),
    RETENTION_HEAL_MAX: retentionMax('heal').describe('auto-heal history beyond this many records is removed, oldest first'),
    RETENTION_DELIVERIES_DAYS: retentionDays('deliveries').describe('finished webhook deliveries older than this many days are removed; dead letters stay until replayed or purged'),
    RETENTION_DELIVERIES_MAX: retentionMax('deliveries').describe('finished webhook deliveries beyond this many are removed, oldest first'),
    RETENTION_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(86_400).default(60)
      .describe("how often the leader's retention pass runs"),
    RETENTION_BATCH: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1).max(100_000).default(1000)
      .describe('records one retention transaction removes'),
    RETENTION_SHARE: z.coerce.number({ error: 'must be a number from 0.01 to 1' }).min(0.01, 'must be from 0.01 to 1').max(1, 'must be from 0.01 to 1').default(0.1)
      .describe('share of its time a retention pass spends deleting; it rests the remainder (at most a second a batch), so publishes keep the disk and a backlog still shrinks under load'),
    AUTOHEAL_SERVICES: autohealServicesVariable().describe(
      'services auto-heal watches: a JSON array of names (the seed\'s ["aether-crm-ui",…]), of targets ({"name":"api","health_url":"…","depends_on":["db"],"check":{…}}), or comma-separated names',
    ),
    AUTOHEAL_HEALTH_ENDPOINTS: autohealEndpointsVariable().describe(
      'health URL per service: a JSON object ({"aether-crm-ui":"http://aether-crm-ui/health.json"}) or name=url pairs separated by commas; each is a target too',
    ),
    AUTOHEAL_INTERVAL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(3600).default(30)
      .describe('between auto-heal rounds'),
    AUTOHEAL_PULL_FROM_REGISTRY: bool('AUTOHEAL_PULL_FROM_REGISTRY').transform((v) => v ?? true)
      .meta({ description: 'registered services are healed too (their health URL is the check)', default: 'true' }),
    AUTOHEAL_RUNTIME: z.enum(['docker', 'process', 'none'], { error: 'must be docker, process or none' }).default('none')
      .describe('docker, process, or none (watch and record, restart nothing)'),
    AUTOHEAL_PROCESSES: autohealProcessesVariable().describe(
      'with AUTOHEAL_RUNTIME=process (required then): the commands the server supervises, a JSON object {"orders":{"command":"node","args":["orders.js"],"env":{"PORT":"9001"}}}; they start with the server and stop with it',
    ),
    DOCKER_HOST: dockerHostVariable().meta({
      description: 'with AUTOHEAL_RUNTIME=docker: the engine (unix:///path or tcp://host:port, e.g. a socket proxy); targets name their container with runtime_id (default: their name)',
      default: 'unix:///var/run/docker.sock',
    }),
    AUTOHEAL_DRY_RUN: bool('AUTOHEAL_DRY_RUN').meta({ description: 'decide and record, restart nothing (operators can switch it at PUT /autoheal/dry-run)', default: 'false' }),
    AUTOHEAL_FAILURE_THRESHOLD: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(100).default(3)
      .describe('consecutive liveness failures before a restart'),
    AUTOHEAL_CHECK_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(5000)
      .describe('per-check timeout'),
    TRACE_START: bool('TRACE_START').meta({
      description: 'start a W3C trace for requests that bring no traceparent, so audit records, log lines and events correlate',
      default: 'false',
    }),
    AUTH_MODE: z.enum(['header', 'jwt'], { error: 'must be "header" or "jwt"' }).default('header')
      .describe('header (X-User-Roles, trusted networks only) or jwt'),
    JWT_ISSUER: z.string().min(1).optional().describe('expected JWT issuer; required when AUTH_MODE=jwt'),
    JWT_AUDIENCE: z.string().min(1).optional().describe('expected JWT audience; required when AUTH_MODE=jwt'),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional().describe('where the signing keys are published; required when AUTH_MODE=jwt'),
    JWT_ROLES_CLAIM: z.string().min(1).default('roles').describe('dotted path to the roles in the token, e.g. realm_access.roles'),
  });

/** Variables that only some settings require; checked beside the schema so every problem is reported at once. */
const REQUIRED_WHEN: { when: (env: Record<string, string>) => boolean; because: string; variables: string[] }[] = [
  { when: (env) => env.AUTOHEAL_RUNTIME === 'process', because: 'AUTOHEAL_RUNTIME=process (it names the commands to supervise)', variables: ['AUTOHEAL_PROCESSES'] },
  { when: (env) => env.AUTH_MODE === 'jwt', because: 'AUTH_MODE=jwt', variables: ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_JWKS_URL'] },
  {
    when: (env) => env.AUTH_MODE === 'jwt' && !/^(false|0|no|off)$/i.test(env.SELF_REGISTER ?? ''),
    because: 'AUTH_MODE=jwt (the server registers itself; set SELF_REGISTER=false to skip that)',
    variables: ['SELF_REGISTER_TOKEN'],
  },
];

/** The server's variables, the AI router's configuration from its own (PROVIDER_ORDER, *_BASE_URL, …), and auto-heal's targets. */
export type Config = z.output<typeof envSchema> & { ai: RouterConfig; autoheal: { targets: HealTarget[] } };

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

// Hidden too: webhook URLs carry their token in the path, health URL lists can be long, a URL refused for carrying
// credentials must not be echoed, and the supervised processes' environments may hold their secrets.
const SECRET = /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL|WEBHOOKS|AUTOHEAL_HEALTH_ENDPOINTS|AUTOHEAL_SERVICES|AUTOHEAL_PROCESSES/;

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
  const targets = parsed.success
    ? autohealTargets({ services: parsed.data.AUTOHEAL_SERVICES, endpoints: parsed.data.AUTOHEAL_HEALTH_ENDPOINTS, runtime: parsed.data.AUTOHEAL_RUNTIME })
    : [];
  const targetProblems = targets.filter((t): t is { variable: string; message: string } => 'variable' in t);
  if (parsed.success) missing.push(...webhookEgressProblems(parsed.data));
  if (parsed.success && missing.length === 0 && !Array.isArray(ai) && targetProblems.length === 0) {
    return { ...parsed.data, ai, autoheal: { targets: targets as HealTarget[] } };
  }
  const problems = (parsed.success ? [] : parsed.error.issues).map((issue) => {
    const variable = String(issue.path[0] ?? 'environment');
    const value = present[variable];
    const shown = value === undefined ? '' : SECRET.test(variable) ? ' (value hidden)' : ` (got "${value}")`;
    return { variable, message: `${issue.message}${shown}` };
  });
  throw new ConfigError([...problems, ...missing, ...targetProblems, ...(Array.isArray(ai) ? ai : [])]);
}

// A configured webhook whose host the webhook egress policy refuses outright (an address literal, a metadata name,
// a denied host) stops the start here; names are judged when they are looked up, at each connection.
function webhookEgressProblems(config: z.output<typeof envSchema>): { variable: string; message: string }[] {
  const allowPrivate = config.ALERT_WEBHOOK_ALLOW_PRIVATE ?? false;
  const rules = compileEgressRules({ allowPrivate, allowLoopback: allowPrivate, allow: config.ALERT_WEBHOOK_ALLOW, deny: config.ALERT_WEBHOOK_DENY });
  return config.ALERT_WEBHOOKS.flatMap((entry, i) => {
    const decision = decideHost(rules, new URL(parseWebhookTarget(entry).url).hostname);
    if (decision.outcome !== 'refused') return [];
    const hint = ['private', 'loopback'].includes(decision.refusal.kind) ? ' (set ALERT_WEBHOOK_ALLOW_PRIVATE=true, or list it in ALERT_WEBHOOK_ALLOW)' : '';
    return [{ variable: 'ALERT_WEBHOOKS', message: `entry ${i + 1} may not be called: ${decision.refusal.reason}${hint}` }];
  });
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
