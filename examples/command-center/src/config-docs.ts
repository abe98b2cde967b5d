import { routerEnvSchema } from '@aetherlink/ai-router';
import { z } from 'zod';
import { envSchema } from './config.js';

/** One environment variable as an operator reads about it: generated from the config schemas, so it cannot drift. */
export interface VariableDoc {
  name: string;
  /** The default as text, or undefined when unset means "off" or "none". */
  default: string | undefined;
  /** True when `default` is a value to type; false when it describes one ("the listen address"). */
  literal: boolean;
  description: string;
  /** Which part reads it. */
  group: 'server' | 'ai';
}

/**
 * Every variable the command center reads, in schema order: its own (config.ts) and the AI router's. A variable
 * without a description is an error naming it, so a new one cannot reach `--help` or the README undescribed.
 * @example configVariables().find((v) => v.name === 'PORT') // { name: 'PORT', default: '8010', … }
 */
export function configVariables(): VariableDoc[] {
  return [...variablesOf(envSchema.shape, 'server'), ...variablesOf(routerEnvSchema.shape, 'ai')];
}

/**
 * The variables of one zod object's shape, described from each schema's metadata and default.
 * @example variablesOf(z.object({ PORT: z.coerce.number().default(8010).describe('port') }).shape, 'server')
 */
export function variablesOf(shape: Record<string, z.ZodType>, group: VariableDoc['group']): VariableDoc[] {
  return Object.entries(shape).map(([name, schema]) => {
    const meta = z.globalRegistry.get(schema) as { description?: string; default?: unknown; defaultDescription?: string } | undefined;
    if (!meta?.description) throw new Error(`the variable ${name} has no description: add .describe('…') (or .meta({ description })) to its schema`);
    if (meta.defaultDescription) return { name, default: meta.defaultDescription, literal: false, description: meta.description, group };
    return { name, default: defaultOf(schema, meta.default), literal: true, description: meta.description, group };
  });
}

// A zod default is what the schema gives an unset variable; one in the metadata (`default`, or in words
// `defaultDescription`) is for a default decided later, in code or by another package.
function defaultOf(schema: z.ZodType, documented: unknown): string | undefined {
  if (documented !== undefined) return String(documented);
  const unset = schema.safeParse(undefined);
  if (!unset.success || unset.data === undefined) return undefined;
  if (Array.isArray(unset.data)) return unset.data.length ? unset.data.join(',') : undefined;
  return String(unset.data);
}

/**
 * `--help` text: usage, then every variable with its default and meaning.
 * @example process.stdout.write(helpText('1.2.0'))
 */
export function helpText(version: string): string {
  const vars = configVariables();
  const width = Math.max(...vars.map((v) => v.name.length));
  const line = (v: VariableDoc) => {
    const def = v.default === undefined ? '' : ` (default: ${v.default})`;
    return `  ${v.name.padEnd(width)}  ${v.description}${def}`;
  };
  return [
    `AetherLink command center ${version}`,
    '',
    'Usage: aetherlink-command-center [--help] [--version]',
    '',
    'Serves the AetherLink HTTP API and the operator dashboard (http://127.0.0.1:8010/ by default), keeping its data',
    'in a SQLite file unless DATABASE_URL names a PostgreSQL database. Configured by environment variables; a bad',
    'one stops the start with a message naming it. SIGTERM or SIGINT shuts down gracefully.',
    '',
    'Server:',
    ...vars.filter((v) => v.group === 'server').map(line),
    '',
    'AI router (POST /orchestrate, /v1/chat/completions):',
    ...vars.filter((v) => v.group === 'ai').map(line),
    '',
  ].join('\n');
}

/**
 * The configuration as a Markdown table, for the READMEs (scripts/readme.ts writes it between markers).
 * @example markdownTable().split('\n')[0] // '| variable | default | what it does |'
 */
export function markdownTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  return [
    '| variable | default | what it does |',
    '|---|---|---|',
    ...configVariables().map((v) => {
      const def = v.default === undefined ? '—' : v.literal ? `\`${cell(v.default)}\`` : cell(v.default);
      return `| \`${v.name}\` | ${def} | ${cell(v.description)} |`;
    }),
  ].join('\n');
}
