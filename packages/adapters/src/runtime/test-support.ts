import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { inject } from 'vitest';
import { CONTRACT_WORKLOADS, memoryLogger, type ContractWorkload, type RuntimeContractSubject } from '@aetherlink/core/testing';
import type { TestDocker } from '../../../../test/global-setup.js';
import { dockerRuntime, type DockerRuntimeOptions } from './docker.js';

// Test-only helpers (not exported by the package): the run's Docker engine from the global setup, containers
// made for the contract, and a socket proxy that lets through only the endpoints the README lists.

/**
 * The engine's socket and the busybox image the global setup imported; fails the calling test loudly when there
 * is no engine (the Docker tests are never skipped).
 * @example const { socketPath, image } = testDocker()
 */
export function testDocker(): { socketPath: string; image: string } {
  const provided: TestDocker = inject('docker');
  if ('error' in provided) throw new Error(`no Docker engine for the tests: ${provided.error}`);
  return provided;
}

/** Demultiplexes `GET /containers/{id}/logs` of a container without a TTY into its lines. */
export function logLines(buffer: Buffer): string[] {
  let text = '';
  for (let at = 0; at + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(at + 4);
    text += buffer.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return text.split('\n').filter((line) => line !== '');
}

/**
 * Makes busybox containers for tests on the run's engine (host network, a unique name) and removes them after.
 * @example const containers = testContainers(); const name = await containers.run('sh', '-c', 'sleep 100')
 */
export function testContainers(socketPath = testDocker().socketPath) {
  const docker = new Docker({ socketPath });
  const made: string[] = [];
  return {
    docker,
    async run(script: string, name = `al-${randomBytes(4).toString('hex')}`): Promise<string> {
      const container = await docker.createContainer({ name, Image: testDocker().image, Cmd: ['sh', '-c', script], HostConfig: { NetworkMode: 'host' } });
      made.push(container.id);
      await container.start();
      return name;
    },
    async output(name: string): Promise<string[]> {
      return logLines((await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    },
    async removeAll(): Promise<void> {
      await Promise.all(made.splice(0).map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
    },
  };
}

/**
 * A harness for `describeRuntimeAdapterContract`: the adapter talks to `adapterSocket` (the engine, or a proxy in
 * front of it); containers are made and stopped on the engine directly.
 * @example describeRuntimeAdapterContract('docker', () => dockerHarness())
 */
export function dockerHarness(adapter: Partial<DockerRuntimeOptions> = {}): RuntimeContractSubject {
  const containers = testContainers();
  const runtime = dockerRuntime({ socketPath: testDocker().socketPath, logger: memoryLogger().logger, ...adapter });
  return {
    runtime,
    start: (workload: ContractWorkload) => containers.run(CONTRACT_WORKLOADS[workload]),
    stopByOperator: async (id) => void (await containers.docker.getContainer(id).stop({ t: 5 })),
    output: (id) => containers.output(id),
    pause: async (id) => void (await containers.docker.getContainer(id).pause()),
    unreachable: () => dockerRuntime({ socketPath: join(tmpdir(), `aetherlink-no-engine-${randomBytes(4).toString('hex')}.sock`), logger: memoryLogger().logger }),
    async cleanup() {
      await runtime.close();
      await containers.removeAll();
    },
  };
}

/** The endpoints the adapter needs, as the README lists them for a socket proxy. */
export const ADAPTER_ENDPOINTS: ReadonlyArray<{ method: string; path: RegExp }> = [
  { method: 'GET', path: /^\/containers\/[^/]+\/json$/ },
  { method: 'POST', path: /^\/containers\/[^/]+\/restart$/ },
  { method: 'GET', path: /^\/events$/ },
];

/** A socket proxy in front of the engine (like tecnativa/docker-socket-proxy): only `allow` passes, the rest gets 403. */
export interface SocketProxy {
  readonly socketPath: string;
  /** `METHOD /path` of every request let through, and of every one refused. */
  readonly passed: string[];
  readonly refused: string[];
  /** Cuts every open connection (the event stream included), as an engine restart would. */
  cut(): void;
  close(): Promise<void>;
}

/**
 * Starts a socket proxy on a fresh Unix socket, in front of the engine at `upstream`.
 * @example const proxy = await socketProxy(testDocker().socketPath); dockerRuntime({ socketPath: proxy.socketPath })
 */
export async function socketProxy(upstream: string, allow = ADAPTER_ENDPOINTS): Promise<SocketProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'aetherlink-proxy-'));
  const socketPath = join(dir, 'proxy.sock');
  const passed: string[] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/^\/v\d+(\.\d+)?/, '');
    const line = `${req.method} ${path}`;
    if (!allow.some((a) => a.method === req.method && a.path.test(path))) {
      refused.push(line);
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `${line} is not allowed by the proxy` }));
      return;
    }
    passed.push(line);
    const up = request({ socketPath: upstream, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    passed,
    refused,
    cut: () => sockets.forEach((s) => s.destroy()),
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
