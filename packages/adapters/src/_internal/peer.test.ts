import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPeer } from './peer.js';

/** A project directory of its own, with only the given packages in its node_modules. */
function project(packages: Record<string, string> = {}): (name: string) => unknown {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-peer-'));
  for (const [name, source] of Object.entries(packages)) {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(dir, 'node_modules', name, 'index.js'), source);
  }
  return createRequire(join(dir, 'app.js'));
}

describe('loadPeer: optional peer dependencies', () => {
  it('names the package to install and the subpath that needs it when the peer is absent', () => {
    // A process of its own without NODE_PATH: pnpm's bin shims point NODE_PATH at the workspace's hoisted packages,
    // where some peers would be found from anywhere.
    const dir = mkdtempSync(join(tmpdir(), 'aetherlink-peer-'));
    const script = `
      import { createRequire } from 'node:module';
      import { loadPeer } from ${JSON.stringify(fileURLToPath(new URL('./peer.ts', import.meta.url)))};
      const load = createRequire(${JSON.stringify(join(dir, 'app.js'))});
      const out = [];
      for (const name of ['pg', 'better-sqlite3', 'express', 'dockerode']) {
        try { loadPeer(name, load); out.push({ name, loaded: true }); }
        catch (error) { out.push({ name, code: error.code, message: error.message, details: error.details }); }
      }
      process.stdout.write(JSON.stringify(out));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@aetherlink/source', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, NODE_PATH: '' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as { name: string; code?: string; message?: string; details?: unknown }[];
    const subpaths: Record<string, string> = { pg: 'postgres', 'better-sqlite3': 'sqlite', express: 'express', dockerode: 'docker' };
    for (const { name, code, message, details } of results) {
      const subpath = `@aetherlink/adapters/${subpaths[name]}`;
      expect(code, name).toBe('dependency_missing');
      expect(message).toContain(`${subpath} needs the package "${name}"`);
      expect(message).toContain(`npm install ${name}`);
      expect(details).toEqual({ package: name, subpath });
    }
  });

  it('returns the peer when it is installed', () => {
    const load = project({ pg: 'module.exports = { Client: class Client {} };' });
    expect(typeof loadPeer<{ Client: unknown }>('pg', load).Client).toBe('function');
  });

  it('keeps the error of a peer that is installed but fails to load', () => {
    // The peer is there; something it needs is not. Saying "install pg" would send the user the wrong way.
    const load = project({ pg: "require('pg-native-that-is-not-there');" });
    expect(() => loadPeer('pg', load)).toThrow(/pg-native-that-is-not-there/);
    const broken = project({ express: "throw new Error('express exploded');" });
    expect(() => loadPeer('express', broken)).toThrow('express exploded');
  });

  it('loads the real peers of this workspace from the package itself', () => {
    expect(typeof loadPeer<{ Pool: unknown }>('pg').Pool).toBe('function');
    expect(typeof loadPeer<() => unknown>('better-sqlite3')).toBe('function');
    expect(typeof loadPeer<{ Router: unknown }>('express').Router).toBe('function');
  });
});
