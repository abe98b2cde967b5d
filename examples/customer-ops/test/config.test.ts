import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig } from '../src/config.js';

describe('customer-ops configuration', () => {
  it('has a default for everything, and runs alone with COMMAND_CENTER_URL=none', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 8020, CRM_DB: './data/customer-ops.db', COMMAND_CENTER_URL: 'http://127.0.0.1:8010' });
    expect(loadConfig({ COMMAND_CENTER_URL: 'none' }).COMMAND_CENTER_URL).toBe('none');
  });

  it('names every bad variable at once, the AI router’s too, and never shows a token', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'x', COMMAND_CENTER_URL: 'ftp://cc', PROVIDER_ORDER: 'gemini', COMMAND_CENTER_TOKEN: '' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['COMMAND_CENTER_URL', 'PORT', 'PROVIDER_ORDER']);
  });

  it('documents every variable it reads in its README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(envSchema.shape)) expect(readme, name).toContain(`\`${name}\``);
  });
});
