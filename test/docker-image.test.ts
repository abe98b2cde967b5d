import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { portMap, problemsOf, readmeBlocks, runShell, type CommandResult, type Started } from './readme-blocks.js';

// The README's container steps, run as written on the test run's Docker engine (test/global-setup.ts): make the
// local Debian base, build the image once, run it. No image registry is reachable, so the base comes from
// debootstrap (its rootfs is kept in /var/tmp, as the README says, so a machine pays for it once), and the engine
// has no bridge: the container shares the host's network and listens on a free port of 127.0.0.1.
// The engine stores layers by copying them (vfs), so the build takes minutes on a busy machine.
vi.setConfig({ testTimeout: 3 * 60_000, hookTimeout: 15 * 60_000 });
const BUILD_LIMIT_MS = 20 * 60_000;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const block = (scenario: string) => README.find((b) => b.scenarios.includes(scenario))!;
const run = promisify(execFile);
const CA = '/etc/ssl/certs/ca-certificates.crt';
const NAME = `aetherlink-${process.pid}`;
const VOLUME = `aetherlink-data-${process.pid}`;

/** The Debian mirror this machine's apt uses (the README names Debian's own; a machine may reach only another). */
function aptMirror(): string {
  const dir = '/etc/apt/sources.list.d';
  for (const file of readdirSync(dir).filter((f) => /\.(sources|list)$/.test(f))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\b/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

describe('the container image, as the README builds and runs it', () => {
  const engine = inject('docker');
  const bin = mkdtempSync(join(tmpdir(), 'aetherlink-docker-cli-'));
  // Debian's docker CLI (the engine's own version, BuildKit built in; a newer CLI wants the buildx plugin), and the
  // Node 22 running these tests, which the README copies into the base image.
  symlinkSync('/usr/bin/docker', join(bin, 'docker'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}`, DOCKER_BUILDKIT: '1' };
  const docker = (...args: string[]) => run('docker', args, { env, maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout.trim());
  const groups: Started[] = [];
  const shell = async (code: string): Promise<CommandResult[]> => {
    const { results, group } = await runShell(code, { cwd: ROOT, env });
    groups.push(group);
    await group.stop();
    return results;
  };
  let port = 0;
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const healthy = () =>
    eventually(async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', NAME)) === 'healthy', `${NAME} healthy`, 120_000, 500);
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    if ('error' in engine) throw new Error(`no Docker engine for this test run: ${engine.error}`);
    env.DOCKER_HOST = `unix://${engine.socketPath}`;
    port = (await portMap(['8010'])).map.get('8010')!;
    const t0 = performance.now();
    // The one-time base image, as written (with this machine's apt mirror in place of Debian's).
    expect(problemsOf(await shell(block('base-image').code.replace('http://deb.debian.org/debian', aptMirror())))).toEqual([]);
    timings.baseImageMs = Math.round(performance.now() - t0);
  });

  afterAll(async () => {
    await Promise.all(groups.map((g) => g.stop()));
    if (!('error' in engine)) {
      await docker('rm', '-f', NAME).catch(() => undefined);
      await docker('volume', 'rm', VOLUME).catch(() => undefined);
    }
    rmSync(bin, { recursive: true, force: true });
    process.stdout.write(`docker image test timings: ${JSON.stringify(timings)}\n`);
  });

  it('builds with docker build, runs healthy with docker run, passes /health.json and stops', async () => {
    const code = block('container')
      .code.replace('docker build ', `docker build --network host --build-arg BASE_IMAGE=local/debian-base --build-arg NODE_EXTRA_CA_CERTS=${CA} `)
      .replace('-p 8010:8010', `--network host -e HOST=127.0.0.1 -e PORT=${port}`)
      .replaceAll('localhost:8010', `127.0.0.1:${port}`)
      .replace('aetherlink-data:', `${VOLUME}:`)
      .replace(/\baetherlink\b(?![-/])/g, NAME);
    expect(code).toContain(`--name ${NAME} `);
    const t0 = performance.now();
    const results = await shell(code);
    timings.readmeBlockMs = Math.round(performance.now() - t0);
    expect(problemsOf(results)).toEqual([]);
    expect(results.map((r) => r.exit)).toEqual([0, 0, 0, 0, 0]);
  }, BUILD_LIMIT_MS);

  it('runs as a non-root user with node as PID 1, serves the dashboard and the API page, and answers a publish and a query', async () => {
    await docker('start', NAME);
    await healthy();
    expect(await docker('exec', NAME, 'id', '-u')).toBe('1000');
    expect(await docker('exec', NAME, 'sh', '-c', "tr '\\0' ' ' < /proc/1/cmdline")).toBe('node /app/dist/main.js');
    const page = await fetch(url('/'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>AetherLink Command Center</title>');
    expect((await fetch(url('/dashboard/main.js'))).status).toBe(200);
    // The API page's viewer comes from a dependency the production install must have kept.
    expect((await fetch(url('/docs/scalar.js'))).status).toBe(200);
    const ready = (await (await fetch(url('/health.json'))).json()) as { status: string };
    expect(ready.status).toBe('pass');

    const publish = await fetch(url('/events/publish'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
      body: JSON.stringify({ type: 'image.test', source: 'docker', id: `e-${process.pid}`, data: { kept: true } }),
    });
    expect(publish.status).toBe(200);
    expect(await recentIds()).toEqual([`e-${process.pid}`]);
  });

  async function recentIds(): Promise<string[]> {
    const res = await fetch(url('/events/recent?event_type=image.test'), { headers: { 'x-user-roles': 'viewer' } });
    return ((await res.json()) as { events: { id: string }[] }).events.map((e) => e.id);
  }

  it('keeps its events on the volume across a restart', async () => {
    const before = await docker('inspect', '-f', '{{.State.StartedAt}}', NAME);
    await docker('restart', '-t', '15', NAME);
    expect(await docker('inspect', '-f', '{{.State.StartedAt}}', NAME)).not.toBe(before);
    await healthy();
    expect(await recentIds()).toEqual([`e-${process.pid}`]);
  });

  it('stops on SIGTERM: node receives it, drains, closes the database and exits 0', async () => {
    await docker('stop', '-t', '15', NAME);
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', NAME)).toBe('0');
    const logs = await run('docker', ['logs', NAME], { env }).then((r) => r.stdout + r.stderr);
    expect(logs).toContain('"reason":"SIGTERM received"');
    expect(logs).toContain('"msg":"shutdown complete"');
  });
});
