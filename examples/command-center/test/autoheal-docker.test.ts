import { randomBytes } from 'node:crypto';
import { eventually } from '@aetherlink/core/testing';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { TestDocker } from '../../../test/global-setup.js';
import { freePort } from '../../../test/postgres-server.js';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

// The reference server healing real containers through the Docker engine the test setup started
// (AUTOHEAL_RUNTIME=docker, DOCKER_HOST at its socket): busybox httpd answering /cgi-bin/ping, broken three ways
// from inside the container. A missing engine fails this test; it is never skipped.
vi.setConfig({ testTimeout: 120_000 });

// The health endpoint: 500 while /tmp/broken exists, no answer while /tmp/hang does.
const PING = `#!/bin/sh
if [ -e /tmp/hang ]; then sleep 60; fi
if [ -e /tmp/broken ]; then printf 'Status: 500 Internal Server Error\\r\\nContent-Type: application/json\\r\\n\\r\\n{"status":"error"}'; exit 0; fi
printf 'Content-Type: application/json\\r\\n\\r\\n{"status":"ok"}'
`;
// Every start clears the faults; SIGUSR1 to the shell makes the container exit by itself (not a person's stop).
const startScript = (port: number) =>
  `mkdir -p /srv/cgi-bin && printf '%s' "$PING" > /srv/cgi-bin/ping && chmod +x /srv/cgi-bin/ping && rm -f /tmp/broken /tmp/hang && ` +
  `trap 'exit 3' USR1; echo started; httpd -f -p 127.0.0.1:${port} -h /srv & wait`;

function testDocker(): { socketPath: string; image: string } {
  const provided: TestDocker = inject('docker');
  if ('error' in provided) throw new Error(`no Docker engine for the tests: ${provided.error}`);
  return provided;
}

describe('auto-heal end to end with real Docker containers', () => {
  let cc: CommandCenter;
  let url: string;
  let docker: Docker;
  let port: number;
  const name = `al-orders-${randomBytes(4).toString('hex')}`;
  const other = `al-billing-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    const { socketPath, image } = testDocker();
    docker = new Docker({ socketPath });
    port = await freePort();
    const otherPort = await freePort();
    for (const [container, p] of [[name, port], [other, otherPort]] as const) {
      const made = await docker.createContainer({ name: container, Image: image, Cmd: ['sh', '-c', startScript(p)], Env: [`PING=${PING}`], HostConfig: { NetworkMode: 'host' } });
      await made.start();
    }
    cc = await createCommandCenter(
      loadConfig({
        LOG_LEVEL: 'silent',
        AUDIT_LOG: 'off',
        AETHERLINK_DB: ':memory:',
        SELF_REGISTER: 'false',
        AUTOHEAL_RUNTIME: 'docker',
        DOCKER_HOST: `unix://${socketPath}`,
        AUTOHEAL_SERVICES: JSON.stringify([
          { name: 'orders', runtime_id: name, health_url: `http://127.0.0.1:${port}/cgi-bin/ping`, start_grace_seconds: 20 },
          { name: 'billing', runtime_id: other, health_url: `http://127.0.0.1:${otherPort}/cgi-bin/ping`, start_grace_seconds: 20 },
        ]),
        AUTOHEAL_INTERVAL_SECONDS: '1',
        AUTOHEAL_CHECK_TIMEOUT_MS: '500',
      }),
      { env: {} },
    );
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.start();
  });
  afterAll(async () => {
    await cc?.close();
    for (const c of [name, other]) await docker?.getContainer(c).remove({ force: true }).catch(() => undefined);
  });

  const get = async (path: string) => (await (await fetch(`${url}${path}`, { headers: { 'x-user-roles': 'viewer' } })).json()) as Record<string, any>;
  const exec = async (container: string, cmd: string[]) => {
    const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await e.start({});
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
  };
  const startedAt = async () => (await docker.getContainer(name).inspect()).State.StartedAt;
  const healed = (n: number) => eventually(async () => (await get('/autoheal/history')).total_in_history >= n, `${n} heals recorded`, 60_000, 200);

  it('restarts a container that answers 500, then hangs, then exits, verifying each heal; history, stats, events and its why agree', async () => {
    // Both judged healthy (before the first round the list is empty, and [].every() is true).
    await eventually(async () => {
      const { services } = await get('/autoheal/status');
      return (services.length === 2 && services.every((s: { state: string }) => s.state === 'healthy')) || null;
    }, 'both containers healthy', 30_000, 200);
    const starts = [await startedAt()];
    const faults: [string, string[]][] = [['500', ['touch', '/tmp/broken']], ['hang', ['touch', '/tmp/hang']], ['exit', ['kill', '-USR1', '1']]];
    for (const [i, [, cmd]] of faults.entries()) {
      await exec(name, cmd);
      await healed(i + 1);
      starts.push(await startedAt());
    }
    expect(new Set(starts).size).toBe(4);

    const { history } = await get('/autoheal/history');
    expect(history.map((r: Record<string, unknown>) => [r.service, r.outcome, r.attempt, (r.probe as { error: string }).error])).toEqual([
      ['orders', 'succeeded', 3, 'connection refused'],
      ['orders', 'succeeded', 2, 'no answer within 500 ms'],
      ['orders', 'succeeded', 1, 'HTTP 500, expected 200–299'],
    ]);
    expect(await get('/autoheal/stats')).toMatchObject({ total_attempts: 3, successful: 3, services: { orders: 3 }, most_healed: 'orders' });
    const types = ((await get('/events/recent?event_type=autoheal.*&limit=20')).events as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(Array.from({ length: 3 }, () => ['autoheal.succeeded', 'autoheal.attempted']).flat());
    expect(await get('/autoheal/services/orders')).toMatchObject({ runtime_id: name, backoff: { attempt: 3 }, budget: { used: 3 }, last_heal: { id: history[0].id } });
  });

  it('leaves a container a person stopped stopped, and says why', async () => {
    await docker.getContainer(other).stop({ t: 2 });
    await eventually(async () => (await get('/autoheal/services/billing')).decision.reason === 'manual_stop', 'billing left stopped', 30_000, 200);
    expect((await docker.getContainer(other).inspect()).State.Running).toBe(false);
    expect((await get('/autoheal/history?service=billing')).history).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'manual_stop' })]);
  });
});
