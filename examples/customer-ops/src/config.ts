import { parseRouterEnv, type RouterConfig } from '@aetherlink/ai-router';
import { isAetherError } from '@aetherlink/core';
import { SERVICE_NAME_PATTERN } from '@aetherlink/registry';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every variable customer-ops reads, with its default; the AI router's (PROVIDER_ORDER, *_BASE_URL, …) come on top. */
export const envSchema = z.object({
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535').default(8020)
    .describe('port to listen on (0 picks a free one)'),
  HOST: z.string().min(1).default('127.0.0.1').describe('address to listen on; 0.0.0.0 in a container'),
  SERVICE_NAME: z.string().max(60).regex(SERVICE_NAME_PATTERN, "must be letters, digits, '.', '_' or '-'").default('customer-ops')
    .describe('name in the registry, audit records and events'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info').describe('pino level'),
  AUDIT_LOG: z.string().min(1).default('stdout').describe('"stdout", "off", or a file path for audit JSON lines'),
  CRM_DB: z.string().min(1).default('./data/customer-ops.db').describe('the SQLite file of leads and activities (":memory:" keeps nothing)'),
  COMMAND_CENTER_URL: z
    .union([z.literal('none'), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, or "none"' })])
    .default('http://127.0.0.1:8010')
    .describe('the command center to register with and publish events to; "none" runs alone'),
  COMMAND_CENTER_TOKEN: z.string().min(1).optional()
    .describe('bearer token for the command center (AUTH_MODE=jwt there); default: X-User-Roles operator/agent headers'),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()
    .describe('how the command center reaches this service (default: the listen address)'),
  FORWARD_INTERVAL_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(50).max(60_000).default(1000)
    .describe('how often the outbox is checked for events due to be sent'),
  FORWARD_RETRY_MAX_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).max(300_000).default(60_000)
    .describe('the longest wait between two attempts to send an event (they double from 1 s)'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).max(600_000).default(10_000)
    .describe('how long a graceful shutdown may take'),
});

export type Config = z.output<typeof envSchema> & { ai: RouterConfig };

/** Start-up stops with this when a variable is wrong; its message names each one. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`the configuration is invalid:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration; every bad variable is named at once, a secret's value never.
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') present[k] = v;
  const parsed = envSchema.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'environment');
        return { variable, message: variable.endsWith('TOKEN') ? issue.message : `${issue.message} (got "${present[variable]}")` };
      });
  let ai: RouterConfig | undefined;
  try {
    ai = parseRouterEnv(env);
  } catch (error) {
    if (!isAetherError(error) || error.code !== 'config_invalid') throw error;
    problems.push(...(error.errors ?? []).map((e) => ({ variable: e.field, message: e.message })));
  }
  if (!parsed.success || !ai || problems.length) throw new ConfigError(problems);
  return { ...parsed.data, ai };
}
