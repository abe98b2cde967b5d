import { AetherError, definedOnly, isAetherError, type FieldError } from '@aetherlink/core';
import { z } from 'zod';
import { descriptorConfig, loadDescriptor } from './descriptor.js';
import { ANTHROPIC_DEFAULT_MODEL } from './providers/anthropic.js';
import { OLLAMA_DEFAULT_MODEL } from './providers/ollama.js';
import { OPENAI_DEFAULT_MODEL } from './providers/openai.js';
import { resolveRouterOptions } from './resolve.js';
import { routerOptionsFromConfig, type ProviderConfig, type RouterConfig, type RouterConfigOptions } from './router-config.js';
import { createRouter } from './router.js';
import type { AnyIntent, Router } from './types.js';

/**
 * The environment variables the router reads (DESIGN §4), plus the optional descriptor path.
 * @example const set = ROUTER_ENV_VARIABLES.filter((name) => process.env[name] !== undefined)
 */
export const ROUTER_ENV_VARIABLES = [
  'PROVIDER_ORDER',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_MODEL',
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY',
  'OPENAI_MODEL',
  'OLLAMA_BASE_URL',
  'OLLAMA_MODEL',
  'AI_PROVIDERS_FILE',
] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be provider names, comma-separated')).min(1, 'must name at least one provider'));

/**
 * The router's variables, validated (cross-variable rules are `parseRouterEnv`'s), each described with its default
 * in its metadata (`z.globalRegistry.get(routerEnvSchema.shape.OLLAMA_MODEL)`).
 * @example routerEnvSchema.safeParse({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }).success // true
 */
export const routerEnvSchema = z.object({
  PROVIDER_ORDER: list.optional().meta({
    description: 'AI provider fallback order, comma-separated; by default claude and openai are left out until they have a key or base URL',
    default: 'claude,ollama,openai',
  }),
  ANTHROPIC_BASE_URL: httpUrl.optional().meta({ description: 'Claude (Anthropic Messages API) base URL', default: 'https://api.anthropic.com' }),
  ANTHROPIC_API_KEY: z.string().min(1).optional().meta({ description: 'Anthropic API key; required for api.anthropic.com' }),
  ANTHROPIC_MODEL: z.string().min(1).max(200).optional().meta({ description: 'Claude model', default: ANTHROPIC_DEFAULT_MODEL }),
  OPENAI_BASE_URL: httpUrl.optional().meta({ description: 'any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, LM Studio)', default: 'https://api.openai.com/v1' }),
  OPENAI_API_KEY: z.string().min(1).optional().meta({ description: 'OpenAI API key; required for api.openai.com' }),
  OPENAI_MODEL: z.string().min(1).max(200).optional().meta({ description: 'OpenAI-compatible model', default: OPENAI_DEFAULT_MODEL }),
  OLLAMA_BASE_URL: httpUrl.optional().meta({ description: 'Ollama base URL', default: 'http://127.0.0.1:11434' }),
  OLLAMA_MODEL: z.string().min(1).max(200).optional().meta({ description: 'Ollama model', default: OLLAMA_DEFAULT_MODEL }),
  AI_PROVIDERS_FILE: z.string().min(1).optional().meta({ description: 'a YAML provider descriptor (vendor, model, tier, capabilities, order, timeouts, breaker) instead of the variables above' }),
});
export type RouterEnv = z.output<typeof routerEnvSchema>;

export type RouterFromEnvOptions = RouterConfigOptions;

export interface ParseRouterEnvOptions {
  /** Intents the router will serve, so the configuration is checked against them. Default: built-in. */
  intents?: readonly AnyIntent[];
  /** Reads the file `AI_PROVIDERS_FILE` names. Default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
}

// The seed's names; `anthropic` is accepted for `claude`.
const ALIASES: Record<string, string> = { anthropic: 'claude' };
const BUILT_IN = ['claude', 'ollama', 'openai'] as const;

/**
 * The router's configuration from the environment (DESIGN §4), checked as `createRouter` would check it but
 * with nothing built or started. Every bad variable is named in one `config_invalid` error; key values are
 * never shown. With `AI_PROVIDERS_FILE`, providers come from the YAML descriptor and `PROVIDER_ORDER` may
 * reorder them.
 * @example const config = parseRouterEnv(process.env) // later: createRouter(routerOptionsFromConfig(config, { bus }))
 */
export function parseRouterEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: ParseRouterEnvOptions = {}): RouterConfig {
  const present: Record<string, string> = {};
  for (const name of ROUTER_ENV_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') present[name] = value.trim();
  }
  const parsed = routerEnvSchema.safeParse(present);
  const problems: FieldError[] = parsed.success ? [] : parsed.error.issues.map((issue) => ({ field: String(issue.path[0] ?? 'environment'), message: issue.message, in: 'env' }));
  // Bad variables are dropped so the checks below still run: every problem is reported at once.
  const bad = new Set(problems.map((p) => p.field));
  const vars = (parsed.success ? parsed.data : routerEnvSchema.parse(Object.fromEntries(Object.entries(present).filter(([k]) => !bad.has(k))))) as RouterEnv;
  const order = vars.PROVIDER_ORDER?.map((n) => ALIASES[n] ?? n);

  if (vars.AI_PROVIDERS_FILE) {
    if (problems.length) fail(problems);
    return fromDescriptor(vars.AI_PROVIDERS_FILE, env, order, options);
  }

  for (const name of order ?? []) {
    if (!(BUILT_IN as readonly string[]).includes(name)) problems.push({ field: 'PROVIDER_ORDER', message: `unknown provider "${name}"; use ${BUILT_IN.join(', ')} (or set AI_PROVIDERS_FILE)`, in: 'env' });
  }
  if (order && new Set(order).size !== order.length) problems.push({ field: 'PROVIDER_ORDER', message: 'names a provider twice', in: 'env' });
  const chosen = order ?? BUILT_IN.filter((n) => n === 'ollama' || (n === 'claude' ? vars.ANTHROPIC_API_KEY || vars.ANTHROPIC_BASE_URL : vars.OPENAI_API_KEY || vars.OPENAI_BASE_URL));
  if (chosen.includes('claude') && !vars.ANTHROPIC_API_KEY && !bad.has('ANTHROPIC_BASE_URL') && isHost(vars.ANTHROPIC_BASE_URL, 'api.anthropic.com')) {
    problems.push({ field: 'ANTHROPIC_API_KEY', message: 'is required to call api.anthropic.com (PROVIDER_ORDER includes claude)', in: 'env' });
  }
  if (chosen.includes('openai') && !vars.OPENAI_API_KEY && !bad.has('OPENAI_BASE_URL') && isHost(vars.OPENAI_BASE_URL, 'api.openai.com')) {
    problems.push({ field: 'OPENAI_API_KEY', message: 'is required to call api.openai.com (PROVIDER_ORDER includes openai)', in: 'env' });
  }
  if (problems.length) fail(problems);

  const providers: Record<string, ProviderConfig> = {};
  for (const name of chosen) {
    if (name === 'claude') providers.claude = { vendor: 'anthropic', ...definedOnly({ baseUrl: vars.ANTHROPIC_BASE_URL, apiKey: vars.ANTHROPIC_API_KEY, model: vars.ANTHROPIC_MODEL }) };
    else if (name === 'openai') providers.openai = { vendor: 'openai', ...definedOnly({ baseUrl: vars.OPENAI_BASE_URL, apiKey: vars.OPENAI_API_KEY, model: vars.OPENAI_MODEL }) };
    else providers.ollama = { vendor: 'ollama', ...definedOnly({ baseUrl: vars.OLLAMA_BASE_URL, model: vars.OLLAMA_MODEL }) };
  }
  return checked({ providers, order: chosen }, options, (field) => (field.startsWith('order') ? 'PROVIDER_ORDER' : field));
}

/**
 * Builds the router from the environment: `parseRouterEnv`, then `createRouter`.
 * @example const router = routerFromEnv(process.env, { bus, logger })
 */
export function routerFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: RouterFromEnvOptions = {}): Router {
  return createRouter(routerOptionsFromConfig(parseRouterEnv(env, definedOnly({ intents: options.intents })), options));
}

function fromDescriptor(path: string, env: Readonly<Record<string, string | undefined>>, order: string[] | undefined, options: ParseRouterEnvOptions): RouterConfig {
  const rename = (field: string) => (field === 'order' || field.startsWith('order.') ? 'PROVIDER_ORDER' : `AI_PROVIDERS_FILE ${field}`);
  let descriptor;
  try {
    descriptor = loadDescriptor(path, options.readFile);
  } catch (error) {
    fail([{ field: 'AI_PROVIDERS_FILE', message: (error as Error).message, in: 'env' }]);
  }
  let config: RouterConfig;
  try {
    config = descriptorConfig(descriptor, { env, ...definedOnly({ order, intents: options.intents }) });
  } catch (error) {
    const errors = (error as AetherError).errors ?? [];
    fail(errors.length ? errors.map((e) => ({ ...e, field: rename(e.field) })) : [{ field: 'AI_PROVIDERS_FILE', message: (error as Error).message, in: 'env' }]);
  }
  return checked(config, options, rename);
}

// The checks `createRouter` makes (chains, fallback cycles, capabilities, attempt cap), run on clients that are
// built but never called, with each problem named by the variable it came from.
function checked(config: RouterConfig, options: ParseRouterEnvOptions, rename: (field: string) => string): RouterConfig {
  try {
    resolveRouterOptions(routerOptionsFromConfig(config, definedOnly({ intents: options.intents })));
  } catch (error) {
    if (!isAetherError(error) || error.code !== 'config_invalid') throw error;
    fail((error.errors ?? [{ field: 'environment', message: error.message }]).map((e) => ({ ...e, field: rename(e.field), in: 'env' })));
  }
  return config;
}

function isHost(url: string | undefined, host: string): boolean {
  return url === undefined || new URL(url).hostname === host;
}

function fail(errors: FieldError[]): never {
  throw new AetherError('config_invalid', `the AI router environment is invalid:\n${errors.map((e) => `  - ${e.field}: ${e.message}`).join('\n')}`, { errors });
}
