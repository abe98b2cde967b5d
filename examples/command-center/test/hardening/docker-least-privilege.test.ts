// Issue #17, item 3: the reference server heals a real container through a socket proxy that allows only inspect,
// restart and events (DOCKER_HOST at the proxy; packages/adapters/README.md lists the endpoints). The heal works,
// the proxy refused nothing the server asked, and everything else a holder of the proxy might try is refused.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { eventually } from '@aetherlink/core/testing';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { socketProxy, testDocker, type SocketProxy } from '../../../../packages/adapters/src/runtime/test-support.js';
import { freePort } from '../../../../test/postgres-server.js';
import { startInProcess, type InProcessServer } from './harness.js';

vi.setConfig({ testTimeout: 120_000 });

// busybox httpd with a health script: 500 while /tmp/broken exists; every start clears it.
const PING = `#!/bin/sh
if [ -e /tmp/broken ]; then printf 'Status: 500 Internal Server Error\\r\\n\\r\\n{}'; exit 0; fi
printf 'Content-Type: application/json\\r\\n\\r\\n{"status":"ok"}'
`;
const script = (port: number) =>
  `mkdir -p /srv/cgi-bin && printf '%s' "$PING" > /srv/cgi-bin/ping && chmod +x /srv/cgi-bin/ping && rm -f /tmp/broken && echo started; httpd -f -p 127.0.0.1:${port} -h /srv`;

/** One request over the proxy's socket: the status it answered. */
function through(proxy: SocketProxy, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: proxy.socketPath, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('auto-heal through a least-privilege Docker socket proxy', () => {
  let proxy: SocketProxy;
  let server: InProcessServer;
  let docker: Docker;
  const name = `al-lp-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    const { socketPath, image } = testDocker();
    docker = new Docker({ socketPath });
    proxy = await socketProxy(socketPath);
    const port = await freePort();
    const made = await docker.createContainer({ name, Image: image, Cmd: ['sh', '-c', script(port)], Env: [`PING=${PING}`], HostConfig: { NetworkMode: 'host' } });
    await made.start();
    server = await startInProcess(
      {
        AUTOHEAL_RUNTIME: 'docker',
        DOCKER_HOST: `unix://${proxy.socketPath}`,
        AUTOHEAL_SERVICES: JSON.stringify([{ name: 'orders', runtime_id: name, health_url: `http://127.0.0.1:${port}/cgi-bin/ping`, start_grace_seconds: 20 }]),
        AUTOHEAL_INTERVAL_SECONDS: '1',
        AUTOHEAL_CHECK_TIMEOUT_MS: '1000',
        AUTOHEAL_PULL_FROM_REGISTRY: 'false',
      },
      { loops: true },
    );
  });
  afterAll(async () => {
    await server?.close();
    await docker?.getContainer(name).remove({ force: true }).catch(() => undefined);
    await proxy?.close();
  });

  const get = async (path: string) => (await (await fetch(`${server.url}${path}`, { headers: { 'x-user-roles': 'viewer' } })).json()) as Record<string, any>;

  it('heals through the proxy, asking it for nothing but inspect, restart and events', async () => {
    await eventually(async () => (await get('/autoheal/services/orders')).state === 'healthy', 'orders healthy', 60_000, 200);
    const before = (await docker.getContainer(name).inspect()).State.StartedAt;
    const exec = await docker.getContainer(name).exec({ Cmd: ['touch', '/tmp/broken'] });
    (await exec.start({})).resume();
    await eventually(async () => (await get('/autoheal/history')).total_in_history >= 1, 'a heal recorded', 60_000, 200);
    expect((await get('/autoheal/history')).history[0]).toMatchObject({ service: 'orders', outcome: 'succeeded' });
    expect((await docker.getContainer(name).inspect()).State.StartedAt).not.toBe(before);
    expect(proxy.refused).toEqual([]);
    const asked = new Set(proxy.passed.map((l) => l.replace(/\/containers\/[^/]+\//, '/containers/{id}/')));
    expect([...asked].filter((l) => !['GET /containers/{id}/json', 'POST /containers/{id}/restart', 'GET /events'].includes(l))).toEqual([]);
    expect(asked).toContain('POST /containers/{id}/restart');
  });

  it('refuses everything else a holder of the proxy might try, however the path is written', async () => {
    const id = (await docker.getContainer(name).inspect()).Id;
    const attempts: [string, string, string?][] = [
      ['GET', '/containers/json'],
      ['POST', '/containers/create', JSON.stringify({ Image: testDocker().image, Cmd: ['sh'], HostConfig: { Privileged: true, Binds: ['/:/host'] } })],
      ['POST', `/containers/${id}/exec`, JSON.stringify({ Cmd: ['id'] })],
      ['POST', `/containers/${id}/kill`],
      ['POST', `/containers/${id}/stop`],
      ['POST', `/containers/${id}/start`],
      ['POST', `/containers/${id}/update`, '{}'],
      ['DELETE', `/containers/${id}?force=true`],
      ['GET', `/containers/${id}/archive?path=/etc/passwd`],
      ['PUT', `/containers/${id}/archive?path=/tmp`],
      ['POST', `/containers/${id}/attach?stream=true&stdin=true`],
      ['GET', `/containers/${id}/logs?stdout=true`],
      ['GET', '/info'],
      ['GET', '/version'],
      ['GET', '/images/json'],
      ['POST', '/images/create?fromImage=evil'],
      ['POST', '/build'],
      ['GET', '/volumes'],
      ['POST', '/networks/create', '{}'],
      ['GET', '/secrets'],
      ['POST', '/swarm/init', '{}'],
      ['GET', '/plugins'],
      ['POST', '/v1.41/containers/create', '{}'],
      ['GET', `/containers/${id}/json/../../../info`],
      ['POST', `/containers/${id}/restart/../kill`],
      ['GET', `/events/../info`],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of attempts) {
      const status = await through(proxy, method, path, body).catch((e: Error) => `error ${e.message}`);
      if (status !== 403) wrong.push(`${method} ${path} → ${status}`);
    }
    // Encoded slashes fit the inspect pattern: the engine must then answer no endpoint at all (it cleans the path and
    // redirects, or finds no such container), and a client following a redirect meets the proxy again.
    for (const path of [`/containers/..%2F..%2Finfo/json`, `/containers/${id}%2Fkill/json`]) {
      const status = await through(proxy, 'GET', path);
      if (typeof status !== 'number' || (status >= 200 && status < 300)) wrong.push(`GET ${path} → ${status}`);
    }
    expect(wrong).toEqual([]);
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(true);
    console.info(`[hardening] docker proxy: ${attempts.length + 2} calls beyond inspect, restart and events refused`);
  });
});
