import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { CONTRACT_WORKLOADS, describeRuntimeAdapterContract, errorCode, eventually, memoryLogger, rejection } from '@aetherlink/core/testing';
import type { RuntimeEvent } from '@aetherlink/core';
import { importBusybox, startDockerEngine } from '../../../../test/docker-server.js';
import { freePort } from '../../../../test/postgres-server.js';
import { loadDockerode } from './docker-client.js';
import { dockerRuntime, type DockerRuntime } from './docker.js';
import { dockerHarness, socketProxy, testContainers, testDocker } from './test-support.js';

// Against the real engine the global setup started (test/docker-server.ts), with busybox containers on the host
// network. A missing engine fails these tests; they are never skipped.

describeRuntimeAdapterContract('docker', () => dockerHarness());

describe('dockerRuntime', () => {
  const containers = testContainers();
  const runtimes: DockerRuntime[] = [];
  const runtime = (options: Parameters<typeof dockerRuntime>[0] = {}) => {
    const made = dockerRuntime({ socketPath: testDocker().socketPath, logger: memoryLogger().logger, ...options });
    runtimes.push(made);
    return made;
  };
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((r) => r.close()));
    await containers.removeAll();
  });
  const started = (name: string) => eventually(async () => (await containers.output(name)).includes('started'), `${name} started`);

  it('tells a stop by a person (docker kill) from a kill outside Docker and from a crash after a reload signal', async () => {
    const killed = await containers.run(CONTRACT_WORKLOADS.graceful);
    const outside = await containers.run(CONTRACT_WORKLOADS.stubborn);
    const reloaded = await containers.run(`echo started; trap 'echo "reload failed"; exit 1' HUP; while :; do sleep 0.05; done`);
    await Promise.all([started(killed), started(outside), started(reloaded)]);
    const docker = containers.docker;
    await docker.getContainer(killed).kill({ signal: 'SIGKILL' });
    // SIGKILL from the host, as the kernel's OOM killer or a stray `kill -9` would: the engine logs no kill.
    process.kill((await docker.getContainer(outside).inspect()).State.Pid, 'SIGKILL');
    await docker.getContainer(reloaded).kill({ signal: 'SIGHUP' });

    const rt = runtime();
    const exited = (name: string) => eventually(async () => {
      const info = await rt.inspect(name);
      return info.state === 'exited' && info;
    }, `${name} exited`);
    expect(await exited(killed)).toMatchObject({ exitCode: 137, stoppedByOperator: true });
    expect(await exited(outside)).toMatchObject({ exitCode: 137, stoppedByOperator: false });
    expect(await exited(reloaded)).toMatchObject({ exitCode: 1, stoppedByOperator: false });
    // A second adapter, made after the fact, reads the same history from the engine.
    expect(await runtime().inspect(killed)).toMatchObject({ stoppedByOperator: true });
  });

  it('works behind a socket proxy that allows only the endpoints the README lists', async () => {
    const proxy = await socketProxy(testDocker().socketPath);
    try {
      const rt = runtime({ socketPath: proxy.socketPath });
      const events: RuntimeEvent[] = [];
      const unwatch = rt.watch((e) => events.push(e));
      const name = await containers.run(CONTRACT_WORKLOADS.graceful);
      await started(name);
      await eventually(() => events.some((e) => e.id === name && e.action === 'start'), 'the proxied event stream reports the start');
      expect((await rt.inspect(name)).state).toBe('running');
      await rt.restart(name, { stopTimeoutMs: 5000 });
      await containers.docker.getContainer(name).stop({ t: 5 });
      expect(await rt.inspect(name)).toMatchObject({ state: 'exited', stoppedByOperator: true });
      unwatch();
      expect(proxy.refused).toEqual([]);
      expect(proxy.passed).toContain('GET /events');
      expect(proxy.passed).toContain(`GET /containers/${name}/json`);
      expect(proxy.passed.some((l) => /^POST \/containers\/\w+\/restart$/.test(l))).toBe(true);
      // Anything else is refused by the proxy, and the adapter says which call a proxy must allow.
      const fenced = await socketProxy(testDocker().socketPath, []);
      try {
        const error = await rejection(runtime({ socketPath: fenced.socketPath }).inspect(name));
        expect(error.code).toBe('forbidden');
        expect(error.message).toContain('socket proxy');
      } finally {
        await fenced.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it('gives each call its own limit: a quick one gets apiTimeoutMs, a restart the stop timeout plus startTimeoutMs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aetherlink-silent-'));
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(join(dir, 'silent.sock'), resolve));
    try {
      const error = await rejection(runtime({ socketPath: join(dir, 'silent.sock'), apiTimeoutMs: 200 }).inspect('anything'));
      expect(error.code).toBe('timeout');
      expect(error.message).toContain('inspect of "anything"');
    } finally {
      held.forEach((s) => s.destroy());
      silent.close();
      await rm(dir, { recursive: true, force: true });
    }
    // A container that must be killed after 1 s: a restart limited to apiTimeoutMs would give up before that.
    const name = await containers.run(CONTRACT_WORKLOADS.stubborn);
    await started(name);
    await runtime({ apiTimeoutMs: 300, startTimeoutMs: 5000 }).restart(name, { stopTimeoutMs: 1000 });
    // The restart returns once the container runs again; its second "started" line may land a moment later.
    const starts = async () => (await containers.output(name)).filter((l) => l === 'started');
    await eventually(async () => (await starts()).length >= 2, 'the restarted container prints "started" again');
    expect(await starts()).toHaveLength(2);
  });

  it('restarts a busybox httpd container, which answers again on its port', async () => {
    const port = await freePort();
    const name = await containers.run(`echo started; exec httpd -f -p 127.0.0.1:${port} -h /www`);
    const get = () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    expect(await eventually(get, 'httpd answers')).toBe('ok\n');
    const rt = runtime();
    const before = await rt.inspect(name);
    await rt.restart(name, { stopTimeoutMs: 2000 });
    expect(await eventually(get, 'httpd answers after the restart')).toBe('ok\n');
    const after = await rt.inspect(name);
    expect(after.state).toBe('running');
    expect(after.startedAt! > before.startedAt!).toBe(true);
  });

  it('names the package to install when dockerode is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'dockerode'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await rejection(loadDockerode(() => Promise.reject(missing)));
    expect(error.code).toBe('dependency_missing');
    expect(error.message).toContain('@aetherlink/adapters/docker needs the package "dockerode"');
    expect(error.message).toContain('npm install dockerode');
    expect(typeof (await loadDockerode())).toBe('function');
  });

  it('refuses restarts of a missing container with not_found and names it', async () => {
    const name = `al-gone-${randomBytes(3).toString('hex')}`;
    expect(await errorCode(runtime().restart(name, { stopTimeoutMs: 1000 }))).toBe('not_found');
  });

  it('watch reconnects when the engine restarts, and goes on reporting', { timeout: 90_000 }, async () => {
    const engine = await startDockerEngine({ label: 'watch' });
    try {
      const image = await importBusybox(engine.socketPath);
      const docker = new Docker({ socketPath: engine.socketPath });
      const container = await docker.createContainer({ name: 'al-watch', Image: image, Cmd: ['sh', '-c', CONTRACT_WORKLOADS.graceful], HostConfig: { NetworkMode: 'host' } });
      const { logger, lines } = memoryLogger();
      const rt = runtime({ socketPath: engine.socketPath, logger });
      const starts: RuntimeEvent[] = [];
      rt.watch((e) => e.action === 'start' && starts.push(e));
      await container.start();
      await eventually(() => starts.length === 1, 'the first start is reported');
      await engine.stop();
      await engine.start();
      await container.start();
      await eventually(() => starts.length === 2, 'the start after the engine restart is reported', 20_000);
      expect(starts.map((e) => e.id)).toEqual(['al-watch', 'al-watch']);
      expect(lines.some((l) => l.msg.includes('event stream dropped'))).toBe(true);
      await container.remove({ force: true });
    } finally {
      await engine.destroy();
    }
  });
});
