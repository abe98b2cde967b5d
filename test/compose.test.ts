import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig as commandCenterConfig } from '../examples/command-center/src/config.js';
import { loadConfig as customerOpsConfig } from '../examples/customer-ops/src/config.js';

// compose.yaml read the way Compose reads it, against the Dockerfile stages it builds and the configuration
// schemas of the servers it runs: a variable a server would refuse, a stage that does not exist, a replica that
// shares another's instance id or a port that clashes fails here, without an engine. (The image itself is built and
// run by test/docker-image.test.ts.)

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; target?: string; args?: Record<string, string> };
  profiles?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

/** `${NAME:-default}` as Compose interpolates it with none of the variables set. */
const interpolate = (value: string) => value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, _name: string, fallback?: string) => fallback ?? '');
const compose = parse(interpolate(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
const built = (target: string) => services.filter(([, s]) => s.build?.target === target);

/** The ENV a Dockerfile stage sets (`ENV A=1 B=2`), and whether it has a HEALTHCHECK. */
function stage(name: string): { env: Record<string, string>; healthcheck: boolean; volume: boolean } {
  const match = new RegExp(`^FROM \\S+ AS ${name}\\n([\\s\\S]*?)(?=^FROM |$(?![\\s\\S]))`, 'm').exec(DOCKERFILE);
  if (!match) throw new Error(`the Dockerfile has no stage ${name}`);
  const body = match[1]!;
  const env = Object.fromEntries([...body.matchAll(/^ENV (.+)$/gm)].flatMap((m) => m[1]!.split(/\s+/).map((kv) => kv.split('=') as [string, string])));
  return { env, healthcheck: /^HEALTHCHECK /m.test(body), volume: /^VOLUME \["\/data"\]/m.test(body) };
}

describe('compose.yaml', () => {
  it('builds only stages the Dockerfile has, on the base image the Dockerfile defaults to', () => {
    const base = /^ARG BASE_IMAGE=(\S+)$/m.exec(DOCKERFILE)![1];
    const targets = services.flatMap(([, s]) => (s.build ? [s.build.target] : []));
    expect(new Set(targets)).toEqual(new Set(['command-center', 'customer-ops']));
    for (const [name, s] of services.filter(([, s]) => s.build)) {
      expect(s.build!.context, name).toBe('.');
      expect(s.build!.args?.BASE_IMAGE, name).toBe(base);
      stage(s.build!.target!);
    }
  });

  it('gives every command center an environment the server accepts, on top of its image’s', () => {
    const { env, healthcheck } = stage('command-center');
    expect(healthcheck).toBe(true);
    expect(built('command-center').map(([name]) => name)).toEqual(['command-center', 'command-center-a', 'command-center-b']);
    for (const [name, s] of built('command-center')) {
      const config = commandCenterConfig({ ...env, ...s.environment });
      expect(config.HOST, name).toBe('0.0.0.0');
      expect(new URL(config.PUBLIC_URL!).host, name).toBe(`${name}:${config.PORT}`);
      expect(s.stop_grace_period, name).toBe('15s');
    }
  });

  it('runs customer-ops with an environment it accepts, pointed at the command center by its service name once that is healthy', () => {
    const { env, healthcheck } = stage('customer-ops');
    expect(healthcheck).toBe(true);
    const [[, ops]] = built('customer-ops') as [[string, Service]];
    const config = customerOpsConfig({ ...env, ...ops.environment });
    expect(config.COMMAND_CENTER_URL).toBe(`http://command-center:${stage('command-center').env.PORT}`);
    expect(new URL(config.PUBLIC_URL!).host).toBe(`customer-ops:${config.PORT}`);
    expect(ops.depends_on).toEqual({ 'command-center': { condition: 'service_healthy' } });
  });

  it('without a profile, runs the command center on SQLite and customer-ops, each with its data on a named volume at /data', () => {
    const plain = services.filter(([, s]) => !s.profiles);
    expect(plain.map(([name]) => name)).toEqual(['command-center', 'customer-ops']);
    for (const [name, s] of plain) {
      expect(s.environment?.DATABASE_URL, name).toBeUndefined();
      expect(stage(s.build!.target!).volume, name).toBe(true);
      const [volume, path] = s.volumes![0]!.split(':');
      expect(path, name).toBe('/data');
      expect(compose.volumes, name).toHaveProperty(volume!);
    }
  });

  it('the postgres profile: two replicas with their own instance ids on the database the postgres service creates', () => {
    const profiled = services.filter(([, s]) => s.profiles?.includes('postgres'));
    expect(profiled.map(([name]) => name)).toEqual(['postgres', 'command-center-a', 'command-center-b']);
    const pg = compose.services.postgres!;
    expect(pg.healthcheck?.test).toContain('pg_isready');
    const replicas = profiled.filter(([name]) => name !== 'postgres').map(([, s]) => s);
    expect(new Set(replicas.map((s) => s.environment!.INSTANCE_ID)).size).toBe(2);
    for (const s of replicas) {
      const url = new URL(s.environment!.DATABASE_URL!);
      expect([url.hostname, url.username, url.password, url.pathname.slice(1)]).toEqual([
        'postgres',
        pg.environment!.POSTGRES_USER,
        pg.environment!.POSTGRES_PASSWORD,
        pg.environment!.POSTGRES_DB,
      ]);
      expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    }
  });

  it('publishes each service on a host port of its own, mapped to the port its image listens on', () => {
    const published = services.flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, host: p.split(':')[0], container: p.split(':')[1] })));
    expect(published.map((p) => p.host)).toEqual(['8010', '8020', '8011', '8012']);
    for (const p of published) expect(p.container, p.name).toBe(stage(compose.services[p.name]!.build!.target!).env.PORT);
  });
});
