import { ROUTER_ENV_VARIABLES, routerEnvSchema } from '@aetherlink/ai-router';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handleArguments } from '../src/cli.js';
import { envSchema } from '../src/config.js';
import { configVariables, helpText, markdownTable, variablesOf } from '../src/config-docs.js';
import { runUntilExit } from './helpers.js';

const capture = () => {
  let text = '';
  return { write: (t: string) => void (text += t), text: () => text };
};

describe('the command line: --help from the config schema', () => {
  it('documents every variable the server and the AI router read, once, each with a meaning', () => {
    const names = configVariables().map((v) => v.name);
    expect(names).toEqual([...Object.keys(envSchema.shape), ...Object.keys(routerEnvSchema.shape)]);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining([...ROUTER_ENV_VARIABLES]));
    for (const v of configVariables()) expect(v.description.length, v.name).toBeGreaterThan(8);
  });

  it('gives each variable the default loadConfig applies', () => {
    const byName = new Map(configVariables().map((v) => [v.name, v.default]));
    expect(byName.get('PORT')).toBe('8010');
    expect(byName.get('AETHERLINK_DB')).toBe('./data/aetherlink.db');
    expect(byName.get('SELF_REGISTER')).toBe('true');
    expect(byName.get('OLLAMA_BASE_URL')).toBe('http://127.0.0.1:11434');
    // Unset means none: no default is invented.
    expect(byName.get('DATABASE_URL')).toBeUndefined();
    expect(byName.get('REGISTRY_PROBE_DENY')).toBeUndefined();
  });

  it('refuses to describe a variable whose schema has no description, naming it', () => {
    const shape = z.object({ DOCUMENTED: z.string().default('x').describe('has words'), FORGOTTEN: z.string().optional() }).shape;
    expect(() => variablesOf(shape, 'server')).toThrow(/FORGOTTEN has no description/);
  });

  it('prints every variable with its default for --help and -h, exiting 0 before anything starts', () => {
    for (const flag of ['--help', '-h']) {
      const out = capture();
      expect(handleArguments([flag], out, capture())).toEqual({ start: false, exitCode: 0 });
      expect(out.text()).toBe(helpText('0.0.0'));
    }
    const help = helpText('0.0.0');
    for (const v of configVariables()) {
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`${v.name} `));
      expect(line, v.name).toBeDefined();
      if (v.default !== undefined) expect(line).toContain(`(default: ${v.default})`);
    }
  });

  it('refuses an unknown argument with exit code 2, pointing at --help', () => {
    const err = capture();
    expect(handleArguments(['--port=9000'], capture(), err)).toEqual({ start: false, exitCode: 2 });
    expect(err.text()).toMatch(/Unknown option '--port'.*\n.*--help/);
    expect(handleArguments([], capture(), capture())).toEqual({ start: true, exitCode: 0 });
  });

  it('renders the README table from the same list', () => {
    const table = markdownTable().split('\n');
    expect(table).toHaveLength(configVariables().length + 2);
    expect(table).toContain('| `PORT` | `8010` | port to listen on (0 picks a free one) |');
  });

  it('answers --help as a process, without opening a database', async () => {
    const { code, output } = await runUntilExit({ AETHERLINK_DB: '/proc/cannot-be-created/aetherlink.db' }, undefined, ['--help']);
    expect(code).toBe(0);
    expect(output).toContain('AETHERLINK_DB');
    expect(output).not.toContain('cannot start');
  });
});
