import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../test/postgres.js';
import { tempDbPath } from '../../command-center/test/helpers.js';
import { call, startCommandCenter, startOps, startOpsProcess, type RunningOps, type RunningServer } from './helpers.js';

interface ServiceView {
  name: string;
  url: string;
  health_url: string;
  status: string;
  tags: string[];
  version: string;
  roles_required: string[];
}
interface StoredEvent {
  id: string;
  type: string;
  source: string;
  subject?: string;
  severity: string;
  data: Record<string, unknown>;
}

// The same scenarios against the command center on each of its stores: its SQLite file, and PostgreSQL (the run's
// server, a schema of its own), as a fleet of them would run.
const BACKENDS = [
  { store: 'SQLite', env: () => ({ AETHERLINK_DB: tempDbPath() }), drop: async () => undefined },
  {
    store: 'PostgreSQL',
    env: () => ({ DATABASE_URL: testDatabaseUrl(), DATABASE_SCHEMA: uniqueSchema('customer_ops') }),
    drop: (env: Record<string, string>) => dropSchema(env.DATABASE_SCHEMA!),
  },
];

describe.each(BACKENDS)('customer-ops beside a real command center process on $store', (backend) => {
  let ccEnv: Record<string, string>;
  let cc: RunningServer;
  let s: RunningOps;
  beforeAll(async () => {
    ccEnv = { ...backend.env(), REGISTRY_PROBE_INTERVAL_SECONDS: '1' };
    cc = await startCommandCenter(ccEnv);
    s = await startOps({ COMMAND_CENTER_URL: cc.url });
  });
  afterAll(async () => {
    await s?.close();
    await cc?.stop();
    if (ccEnv) await backend.drop(ccEnv);
  });

  const services = async () => (await call(cc.url, 'GET', '/ops/services', { roles: 'operator' })).body.services as ServiceView[];
  const ccEvents = async (query: string) => (await call(cc.url, 'GET', `/events/recent?${query}`, { roles: 'viewer' })).body.events as StoredEvent[];

  it('registers itself: the command center lists it, and its health probe finds it up', async () => {
    const entry = await eventually(async () => (await services()).find((sv) => sv.name === 'customer-ops' && sv.status === 'ok'), 'customer-ops registered and probed ok');
    expect(entry).toMatchObject({ url: s.url, health_url: `${s.url}/health`, tags: ['crm', 'example'], roles_required: ['agent', 'viewer'], version: '0.0.0' });
  });

  it('publishes lead.created, which the command center stores under its own schema of the type', async () => {
    expect((await call(cc.url, 'GET', '/events/schema/lead.created', { roles: 'viewer' })).status).toBe(200);
    const { body } = await call(s.url, 'POST', '/leads', { roles: 'agent', body: { name: 'Grace Hopper', email: 'grace@navy.example', company: 'US Navy' } });
    const lead = body.lead as { id: string };
    const event = await eventually(async () => (await ccEvents('event_type=lead.created&source=customer-ops')).find((e) => e.data.lead_id === lead.id), 'lead.created in the command center');
    expect(event).toMatchObject({
      source: 'customer-ops',
      subject: lead.id,
      severity: 'info',
      data: { lead_id: lead.id, name: 'Grace Hopper', email: 'grace@navy.example', company: 'US Navy', status: 'new', source: 'manual' },
    });
    await eventually(() => s.ops.store.outbox.pending() === 0, 'the outbox emptied');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/crm_outbox_events_total\{result="sent"\} [1-9]/);
  });

  it('forwards its RBAC violations, so operators see them in the command center', async () => {
    expect((await call(s.url, 'PATCH', '/leads/some-lead', { roles: 'viewer', body: { status: 'won' } })).status).toBe(403);
    const violation = await eventually(
      async () => (await ccEvents('event_type=security.rbac.violation&source=customer-ops')).find((e) => e.data.path === '/leads/{id}'),
      'the violation in the command center',
    );
    expect(violation.data).toMatchObject({ method: 'PATCH', permission: 'crm:write' });
  });

  it('deregisters from the command center when it gets SIGTERM, and exits 0', async () => {
    const proc = await startOpsProcess({ COMMAND_CENTER_URL: cc.url, SERVICE_NAME: 'customer-ops-process' });
    await eventually(async () => (await services()).some((sv) => sv.name === 'customer-ops-process'), 'the process registered');
    expect(await proc.stop()).toBe(0);
    // It deregistered while draining, before it exited.
    expect((await services()).map((sv) => sv.name)).not.toContain('customer-ops-process');
    expect(proc.output()).toContain('shutdown complete');
  });

  it('keeps events in its outbox while the command center is down, and delivers them once it is back', async () => {
    const port = new URL(cc.url).port;
    expect(await cc.stop()).toBe(0);
    // The CRM goes on without its control plane.
    const { status, body } = await call(s.url, 'POST', '/leads', { roles: 'agent', body: { name: 'Offline Lead', email: 'offline@lead.example' } });
    expect(status).toBe(201);
    await eventually(() => s.ops.store.outbox.head(1)[0]?.attempts, 'a failed attempt to send');
    expect((await fetch(`${s.url}/health.json`)).status).toBe(200);

    cc = await startCommandCenter({ ...ccEnv, PORT: port });
    const event = await eventually(
      async () => (await ccEvents('event_type=lead.created&source=customer-ops')).find((e) => e.data.lead_id === body.lead.id),
      'the lead made while the command center was down',
      20_000,
    );
    // A lead without a company: the field is left out, as the command center's schema of the type wants.
    expect(event.data).toEqual({ lead_id: body.lead.id, name: 'Offline Lead', email: 'offline@lead.example', status: 'new', source: 'manual' });
    expect(s.ops.store.outbox.deadCount()).toBe(0);
    // What the first command center stored before it stopped is still there.
    expect((await ccEvents('event_type=lead.created&source=customer-ops')).map((e) => e.data.name)).toContain('Grace Hopper');
    await eventually(() => s.ops.store.outbox.pending() === 0, 'the outbox emptied');
  }, 120_000);
});
