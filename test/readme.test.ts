import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@aetherlink/core/testing';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { startServer } from '../examples/command-center/test/helpers.js';
import { GENERATED_READMES, withGeneratedParts } from '../scripts/readme.js';
import { expectationOf, listening, portMap, portsIn, problemsOf, readmeBlocks, runShell, start, type Block, type Started } from './readme-blocks.js';

// Each scenario starts servers from source (tsx) on a busy machine: give them room.
vi.setConfig({ testTimeout: 240_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BLOCKS = readmeBlocks(README);
const of = (scenario: string) => BLOCKS.filter((b) => b.scenarios.includes(scenario));
// Snippets run where a reader runs them (the repository root, so workspace packages resolve), from files in a
// git-ignored directory.
const SNIPPETS = join(ROOT, '.vitest-tmp', 'readme');

/** Where each scenario runs: here, or in the test named. */
const ELSEWHERE: Record<string, string> = {
  ci: 'the same as .ci/run (checked below)',
  npx: 'scripts/pack-check.mjs (pnpm lint:pkg), against the packed tarballs',
  container: 'test/docker-image.test.ts',
  // Not run: the test engine has no bridge network for Compose's service names. Its file is checked instead.
  compose: 'test/compose.test.ts, against the Dockerfile and both servers’ configuration schemas',
  'base-image': 'test/docker-image.test.ts',
};
const HERE = ['start', 'incident', 'command-center', 'embed-express', 'embed-fastify', 'postgres', 'customer-ops', 'package-core', 'package-registry', 'package-ai-router', 'package-alerts', 'package-autoheal'];

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-readme-'));
  // Quiet servers, with their data in a temp directory rather than the repository's ./data.
  return { ...process.env, LOG_LEVEL: 'warn', AUDIT_LOG: 'off', AETHERLINK_DB: join(dir, 'cc.db'), CRM_DB: join(dir, 'crm.db'), ...extra };
};

const running: Started[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

/** Runs a TypeScript snippet with tsx as the reader would run a file of their own. */
function tsProgram(block: Block, rewrite: (t: string) => string, name: string): Started {
  mkdirSync(SNIPPETS, { recursive: true });
  const file = join(SNIPPETS, `${name}.ts`);
  writeFileSync(file, rewrite(block.code));
  const p = start(process.execPath, ['--import', 'tsx', '--conditions=@aetherlink/source', file], { cwd: ROOT, env: env() });
  running.push(p);
  return p;
}

/** Runs the scenario's shell blocks in order, waiting for the ports earlier steps started, retrying `eventually` ones. */
async function runScenario(blocks: Block[], rewrite: (t: string) => string, ports: Map<string, number>, extraEnv: Record<string, string> = {}, alreadyStarted: string[] = []) {
  const pending = new Set(alreadyStarted);
  const scenarioEnv = env(extraEnv);
  for (const block of blocks.filter((b) => b.lang === 'sh')) {
    for (const port of portsIn(block.code)) if (pending.has(port)) await listening(ports.get(port)!);
    const once = async () => {
      const { results, group } = await runShell(rewrite(block.code), { cwd: ROOT, env: scenarioEnv });
      running.push(group);
      return { results, problems: problemsOf(results) };
    };
    let run = await once();
    if (block.eventually) {
      await eventually(async () => (run.problems.length === 0 ? true : ((run = await once()), run.problems.length === 0)), `README line ${block.line} to print what it says`, 30_000, 500).catch(() => undefined);
    }
    expect(run.problems, `README line ${block.line}`).toEqual([]);
    if (/&\s*(#.*)?$/m.test(block.code)) for (const port of portsIn(block.code)) pending.add(port);
  }
}

describe('the README', () => {
  it('carries the configuration table the schema generates', () => {
    for (const file of GENERATED_READMES) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(withGeneratedParts(text), `${file} is stale: run pnpm readme`).toBe(text);
    }
  });

  it('marks every code block with the scenario that runs it', () => {
    for (const block of BLOCKS) {
      expect(block.scenarios.length, `README line ${block.line} has no runnable:<scenario>`).toBeGreaterThan(0);
      for (const s of block.scenarios) expect(HERE.includes(s) || s in ELSEWHERE, `README line ${block.line}: unknown scenario ${s}`).toBe(true);
    }
    for (const s of [...HERE, ...Object.keys(ELSEWHERE)]) expect(of(s).length, `no block runs ${s}`).toBeGreaterThan(0);
  });

  it('gives the test command CI runs, exactly', () => {
    const [ci] = of('ci');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n')).toContain(ci!.code.trim());
  });

  it('runs npx @aetherlink/command-center the way the packed-tarball check does', () => {
    const check = readFileSync(join(ROOT, 'scripts/pack-check/command-center.mjs'), 'utf8');
    const [npx] = of('npx');
    expect(npx!.code).toContain('npx @aetherlink/command-center --help');
    expect(check).toContain("['@aetherlink/command-center', '--help']");
    expect(check).toContain("spawn('npx', ['@aetherlink/command-center']");
  });

  it('start: pnpm start serves the dashboard on PORT', async () => {
    const [block] = of('start');
    // scripts/setup.sh is what CI ran before this test; the rest of the line is run as written.
    const line = block!.code.trim().replace(/^bash scripts\/setup\.sh && /, '');
    const { map } = await portMap(['8010']);
    const port = map.get('8010')!;
    const p = start('bash', ['-c', line], { cwd: ROOT, env: env({ PORT: String(port) }) });
    running.push(p);
    await listening(port);
    const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(page).toContain('<title>AetherLink Command Center</title>');
  });

  it('incident: the server starts with the alert webhook the dashboard walk-through clicks on', async () => {
    const [block] = of('incident');
    const { map } = await portMap(['8010']);
    const port = map.get('8010')!;
    const p = start('bash', ['-c', block!.code.replace(/\\\n/g, ' ')], { cwd: ROOT, env: env({ PORT: String(port) }) });
    running.push(p);
    await listening(port, 90_000, () => (p.proc.exitCode === null ? undefined : `it exited: ${p.output()}`));
    const res = await fetch(`http://127.0.0.1:${port}/alerts/endpoints`, { headers: { 'x-user-roles': 'operator' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { count: number }).count).toBe(1);
  });

  for (const name of HERE.filter((s) => s.startsWith('package-'))) {
    it(`${name}: runs and prints what it says`, async () => {
      const [block] = of(name);
      const p = tsProgram(block!, (t) => t, name);
      expect(await p.exited, p.output()).toBe(0);
      let from = 0;
      for (const line of block!.code.split('\n')) {
        const expected = expectationOf(line);
        if (expected === undefined) continue;
        const at = p.output().indexOf(expected, from);
        expect(at, `expected ${JSON.stringify(expected)} in order, in:\n${p.output()}`).toBeGreaterThanOrEqual(0);
        from = at + expected.length;
      }
    });
  }

  it('command-center: the curl examples against the reference server', async () => {
    const server = await startServer();
    try {
      const rewrite = (t: string) => t.replaceAll('localhost:8010', new URL(server.url).host);
      await runScenario(of('command-center'), rewrite, new Map());
    } finally {
      await server.stop();
    }
  });

  for (const name of ['embed-express', 'embed-fastify']) {
    it(`${name}: the complete program serves what the curl examples say`, async () => {
      const blocks = of(name);
      const { map, rewrite } = await portMap(['3000']);
      const server = tsProgram(blocks.find((b) => b.lang === 'ts')!, rewrite, name);
      await listening(map.get('3000')!, 90_000, () => (server.proc.exitCode === null ? undefined : `the program exited: ${server.output()}`));
      await runScenario(blocks, rewrite, map);
    });
  }

  it('postgres: two instances on one database see each other’s events', async () => {
    const pg = inject('postgres');
    if ('error' in pg) throw new Error(`no PostgreSQL for this test run: ${pg.error}`);
    const blocks = of('postgres');
    const { map, rewrite } = await portMap(portsIn(blocks.map((b) => b.code).join('\n')));
    const withDb = (t: string) => rewrite(t).replace(/postgres:\/\/\S+/, pg.connectionString);
    await runScenario(blocks, withDb, map, { DATABASE_SCHEMA: `readme_${process.pid}` });
  });

  it('customer-ops: beside the command center, its lead reaches the command center', async () => {
    const blocks = of('customer-ops');
    const { map, rewrite } = await portMap(portsIn(blocks.map((b) => b.code).join('\n')));
    await runScenario(blocks, rewrite, map);
  });
});
