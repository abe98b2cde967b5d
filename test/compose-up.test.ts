import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { baseImageOnce, CA, holdBuildTurn } from './docker-build.js';
import { portMap, problemsOf, readmeBlocks, runShell, type CommandResult, type Started } from './readme-blocks.js';

// The README's compose steps, run on the test run's Docker engine (test/global-setup.ts): compose.yaml builds both
// images and brings up the command center and customer-ops on a network of their own, where each reaches the other
// by its service name; then the postgres profile adds PostgreSQL and two replicas sharing it. Compose v2
// (`docker compose`) is used where the CLI has it, else Debian's `docker-compose` 1.x, which has no `--wait`: its
// `up` is followed by a bounded wait for every container to be healthy. No image registry is reachable, so:
// BASE_IMAGE is the README's local/debian-base (made once per run, shared with docker-image.test.ts, whose build
// this one finds cached), and POSTGRES_IMAGE is test/postgres-image, Debian's PostgreSQL on that base with the
// official image's first-start contract (POSTGRES_USER/PASSWORD/DB). The engine runs without iptables, so its
// bridge networks have no NAT to the internet: an override file gives the builds the host's network (for npm).
// Published ports are free ones, through compose.yaml's own variables. The engine copies layers (vfs): minutes.
vi.setConfig({ testTimeout: 3 * 60_000, hookTimeout: 25 * 60_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BLOCK = readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).find((b) => b.scenarios.includes('compose'))!;
const run = promisify(execFile);
const PROJECT = `aetherlink-compose-${process.pid}`;
const HEALTH_LIMIT_S = 240;

describe('docker compose up, as the README runs it', () => {
  const engine = inject('docker');
  const tmp = mkdtempSync(join(tmpdir(), 'aetherlink-compose-'));
  // Debian's docker CLI (BuildKit built in; compose 1.x builds through it), and the Node 22 running these tests.
  symlinkSync('/usr/bin/docker', join(tmp, 'docker'));
  const override = join(tmp, 'build-on-host-network.yaml');
  writeFileSync(
    override,
    `services:\n${['command-center', 'customer-ops', 'command-center-a', 'command-center-b'].map((s) => `  ${s}:\n    build:\n      network: host\n`).join('')}`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${tmp}:${dirname(process.execPath)}:${process.env.PATH}`,
    DOCKER_BUILDKIT: '1',
    COMPOSE_DOCKER_CLI_BUILD: '1',
    COMPOSE_PROJECT_NAME: PROJECT,
    COMPOSE_FILE: `${join(ROOT, 'compose.yaml')}:${override}`,
    BASE_IMAGE: 'local/debian-base',
    POSTGRES_IMAGE: 'aetherlink/test-postgres',
    NODE_EXTRA_CA_CERTS: CA,
  };
  const exec = (file: string, args: string[]) => run(file, args, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout.trim());
  let compose: string[] = [];
  const groups: Started[] = [];
  const shell = async (code: string): Promise<CommandResult[]> => {
    const { results, group } = await runShell(code, { cwd: ROOT, env });
    groups.push(group);
    await group.stop();
    return results;
  };
  let ports = new Map<string, number>();
  let rewritePorts = (text: string) => text;
  const url = (port: string, path: string) => `http://127.0.0.1:${ports.get(port)}${path}`;
  const timings: Record<string, number> = {};
  let releaseBuildTurn = () => {};

  /** `up --wait` of compose v2, for compose 1.x: until every container of the project is healthy, within limits. */
  const waitHealthy = `timeout ${HEALTH_LIMIT_S} sh -c 'until [ -z "$(docker ps -a --filter label=com.docker.compose.project=${PROJECT} --format "{{.Status}}" | grep -v "(healthy)")" ]; do sleep 2; done'`;
  const composeLine = (line: string) => {
    const command = line.replace(/^docker compose\b/, compose.join(' '));
    return compose.length === 1 && / --wait\b/.test(command) ? `${command.replace(/ --wait\b/, '')} && ${waitHealthy}` : command;
  };

  beforeAll(async () => {
    if ('error' in engine) throw new Error(`no Docker engine for this test run: ${engine.error}`);
    env.DOCKER_HOST = `unix://${engine.socketPath}`;
    compose = await exec('docker', ['compose', 'version']).then(() => ['docker', 'compose'], () => ['docker-compose']);
    ({ map: ports, rewrite: rewritePorts } = await portMap(['8010', '8020', '8011', '8012']));
    Object.assign(env, {
      AETHERLINK_PORT: String(ports.get('8010')),
      CUSTOMER_OPS_PORT: String(ports.get('8020')),
      REPLICA_A_PORT: String(ports.get('8011')),
      REPLICA_B_PORT: String(ports.get('8012')),
    });
    releaseBuildTurn = await holdBuildTurn(engine.workDir);
    try {
      let t0 = performance.now();
      const results = await baseImageOnce(engine.workDir, shell);
      if (results) expect(problemsOf(results)).toEqual([]);
      timings.baseImageMs = Math.round(performance.now() - t0);
      t0 = performance.now();
      await exec(compose[0]!, [...compose.slice(1), '--profile', 'postgres', 'build']);
      timings.composeBuildMs = Math.round(performance.now() - t0);
      t0 = performance.now();
      await exec('docker', ['build', '--network', 'host', '-t', env.POSTGRES_IMAGE!, '--build-arg', `BASE_IMAGE=${env.BASE_IMAGE}`, join(ROOT, 'test', 'postgres-image')]);
      timings.postgresImageMs = Math.round(performance.now() - t0);
    } finally {
      releaseBuildTurn();
    }
  });

  afterAll(async () => {
    releaseBuildTurn();
    await Promise.all(groups.map((g) => g.stop()));
    if (!('error' in engine) && compose.length) {
      await exec(compose[0]!, [...compose.slice(1), '--profile', 'postgres', 'down', '-v', '--remove-orphans', '-t', '15']).catch((error: Error) =>
        process.stdout.write(`compose down failed: ${error.message}\n`),
      );
    }
    rmSync(tmp, { recursive: true, force: true });
    process.stdout.write(`compose up test timings: ${JSON.stringify(timings)}\n`);
  });

  const lines = BLOCK.code.split('\n');
  const profileAt = lines.findIndex((l) => l.includes('--profile postgres up'));

  it('brings up the command center and customer-ops: the dashboard, health and customer-ops registered by service name', async () => {
    const t0 = performance.now();
    const results = await shell(rewritePorts(lines.slice(0, profileAt).map(composeLine).join('\n')));
    timings.upMs = Math.round(performance.now() - t0);
    expect(problemsOf(results)).toEqual([]);

    const page = await fetch(url('8010', '/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>AetherLink Command Center</title>');
    const health = (await (await fetch(url('8010', '/health.json'))).json()) as { status: string };
    expect(health.status).toBe('pass');

    // customer-ops registered itself at http://command-center:8010, and the command center's probe reached it
    // back at http://customer-ops:8020: both names resolved on the project's network.
    await eventually(
      async () => {
        const res = await fetch(url('8010', '/ops/services'), { headers: { 'x-user-roles': 'operator' } });
        const { services } = (await res.json()) as { services: { name: string; url: string; status: string; last_check: { error: string | null } | null }[] };
        const ops = services.find((s) => s.name === 'customer-ops');
        return ops?.url === 'http://customer-ops:8020' && ops.status === 'ok' && ops.last_check?.error === null;
      },
      'customer-ops registered and probed by service name',
      60_000,
      500,
    );
  });

  it('the postgres profile: two replicas on one PostgreSQL, an event published to one is read from the other', async () => {
    const t0 = performance.now();
    const results = await shell(rewritePorts(lines.slice(profileAt).map(composeLine).join('\n')));
    timings.postgresProfileMs = Math.round(performance.now() - t0);
    expect(problemsOf(results)).toEqual([]);
    // The README's last step took the project down (its volumes stay until afterAll's down -v).
    expect(await exec('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`])).toBe('');
  });
});
