import { healTargetConfigSchema, resolvePolicy, resolveTargets, toHealTarget, type HealTarget, type HealTargetConfig } from '@aetherlink/autoheal';
import { isAetherError } from '@aetherlink/core';
import { httpUrlSchema, serviceNameSchema } from '@aetherlink/registry';
import { z } from 'zod';

// AUTOHEAL_SERVICES and AUTOHEAL_HEALTH_ENDPOINTS as the seed wrote them (a JSON array of container names, a JSON
// map of name → health URL), plus plain comma-separated forms and richer targets in the array.

const issuesOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');

/** `["api","db"]`, `api,db`, or `[{"name":"api","health_url":"…","depends_on":["db"]}, "db"]`. */
export const autohealServicesVariable = () =>
  z
    .string()
    .optional()
    .transform((v, ctx): HealTargetConfig[] => {
      if (v === undefined || v.trim() === '') return [];
      let raw: unknown;
      if (v.trim().startsWith('[')) {
        try {
          raw = JSON.parse(v);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON array (of names or targets) or comma-separated names' });
          return z.NEVER;
        }
      } else {
        raw = v.split(',').map((s) => s.trim()).filter(Boolean);
      }
      const parsed = z.array(z.union([serviceNameSchema.transform((name) => ({ name })), healTargetConfigSchema]), { error: 'must be a JSON array' }).safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: issuesOf(parsed.error) });
        return z.NEVER;
      }
      return parsed.data;
    });

/** `{"api":"http://api:8080/ping"}` or `api=http://api:8080/ping,ui=http://ui/health.json`. */
export const autohealEndpointsVariable = () =>
  z
    .string()
    .optional()
    .transform((v, ctx): Record<string, string> => {
      if (v === undefined || v.trim() === '') return {};
      let raw: unknown;
      if (v.trim().startsWith('{')) {
        try {
          raw = JSON.parse(v);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object of name → health URL, or name=url pairs separated by commas' });
          return z.NEVER;
        }
      } else {
        raw = Object.fromEntries(v.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
      }
      const parsed = z.record(serviceNameSchema, httpUrlSchema, { error: 'must be a map of service name to health URL' }).safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: issuesOf(parsed.error) });
        return z.NEVER;
      }
      return parsed.data;
    });

/**
 * The configured targets: each service, with its health URL from the endpoints map unless it names its own;
 * endpoints of services not listed are targets too (the seed monitored every endpoint it was given). Problems
 * (a cycle, a service with nothing to check when there is no runtime) name the variable.
 * @example autohealTargets({ services: [{ name: 'api' }], endpoints: { api: 'http://api/ping' }, runtime: 'docker' })
 */
export function autohealTargets(input: { services: HealTargetConfig[]; endpoints: Record<string, string>; runtime: 'docker' | 'process' | 'none' }): HealTarget[] | { variable: string; message: string }[] {
  const configs = input.services.map((s) => ({ ...s, ...(s.health_url || !input.endpoints[s.name] ? {} : { health_url: input.endpoints[s.name] }) }));
  for (const [name, health_url] of Object.entries(input.endpoints)) if (!configs.some((c) => c.name === name)) configs.push({ name, health_url });
  const targets = configs.map((c) => toHealTarget(healTargetConfigSchema.parse(c)));
  try {
    resolveTargets(targets, resolvePolicy(), input.runtime !== 'none');
    return targets;
  } catch (error) {
    if (!isAetherError(error)) throw error;
    return (error.errors ?? [{ field: 'targets', message: error.message }]).map((e) => {
      const i = Number(/^targets\.(\d+)/.exec(e.field)?.[1] ?? -1);
      const name = configs[i]?.name;
      const noRuntime = /needs a runtime/.test(e.message);
      return {
        variable: noRuntime ? 'AUTOHEAL_HEALTH_ENDPOINTS' : 'AUTOHEAL_SERVICES',
        message: noRuntime ? `"${name}" has no health URL, and with AUTOHEAL_RUNTIME=none there is no runtime to ask about it` : `${name ? `"${name}": ` : ''}${e.message}`,
      };
    });
  }
}

const processSchema = z.strictObject({
  command: z.string().min(1, 'must name the program to run'),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  inheritEnv: z.boolean().optional(),
});

/** `{"orders":{"command":"node","args":["orders.js"],"env":{"PORT":"9001"}}}`: what AUTOHEAL_RUNTIME=process supervises. */
export const autohealProcessesVariable = () =>
  z
    .string()
    .optional()
    .transform((v, ctx): Record<string, z.output<typeof processSchema>> => {
      if (v === undefined || v.trim() === '') return {};
      let raw: unknown;
      try {
        raw = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of name → { command, args?, env?, cwd? }' });
        return z.NEVER;
      }
      const parsed = z.record(z.string().min(1).max(255), processSchema, { error: 'must be a JSON object of name → { command, args?, env?, cwd? }' }).safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: issuesOf(parsed.error) });
        return z.NEVER;
      }
      return parsed.data;
    });

/** The Docker engine's address as DOCKER_HOST writes it: `unix:///var/run/docker.sock`, `tcp://proxy:2375`. */
export const dockerHostVariable = () =>
  z
    .string()
    .optional()
    .transform((v, ctx): { socketPath: string } | { host: string; port: number; protocol: 'http' | 'https' } | undefined => {
      if (v === undefined || v.trim() === '') return undefined;
      const unix = /^unix:\/\/(\/.+)$/.exec(v.trim());
      if (unix) return { socketPath: unix[1]! };
      const tcp = /^(tcp|http|https):\/\/([^/:]+):(\d{1,5})\/?$/.exec(v.trim());
      if (tcp) return { host: tcp[2]!, port: Number(tcp[3]), protocol: tcp[1] === 'https' ? 'https' : 'http' };
      ctx.addIssue({ code: 'custom', message: 'must be unix:///path/to/docker.sock or tcp://host:port' });
      return z.NEVER;
    });
