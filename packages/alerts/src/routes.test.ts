import { buildOpenApi, memoryDeliveryStore } from '@aetherlink/core';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { conformingRoutes, type RouteConformance } from './_testing/conformance.js';
import { alertWorld, recordingNotifier, type RecordingNotifier } from './_testing/harness.js';
import { alertsModule, type AlertsModule } from './module.js';
import { BUILTIN_TEMPLATES } from './templates.js';

const OPERATOR = { 'x-user-roles': 'operator' };
const VIEWER = { 'x-user-roles': 'viewer' };
const S = 1000;

let app: FastifyInstance;
let base: string;
let world: ReturnType<typeof alertWorld>;
let mod: AlertsModule;
let notifier: RecordingNotifier;
let checked: RouteConformance;

beforeEach(async () => {
  world = alertWorld();
  notifier = recordingNotifier();
  mod = alertsModule({
    deliveries: memoryDeliveryStore(),
    owner: 'test',
    clock: world.clock,
    notifier,
    rules: { bus: world.bus, documents: world.documents, templates: [{ id: 'acme-orders', name: 'Acme orders', description: 'Failed orders at Acme', tenant: 'acme', rule: { ...BUILTIN_TEMPLATES[0]!.rule, event_type: 'order.failed' } }] },
  });
  app = Fastify({ forceCloseConnections: true });
  // Every answer is held to the OpenAPI document: status, and a body its response schema names in full.
  checked = conformingRoutes(mod.routes);
  await app.register(aetherlinkFastify, { service: 'cc', routes: checked.routes, bus: world.bus });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return async () => {
    await app.close();
    await mod.close();
    expect(checked.problems).toEqual([]);
  };
});

async function call(method: string, path: string, headers: Record<string, string> = OPERATOR, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', location: res.headers.get('location'), body: text ? (JSON.parse(text) as Record<string, any>) : null };
}
const fields = (r: { body: Record<string, any> | null }) => (r.body?.errors as { field: string }[] | undefined)?.map((e) => e.field) ?? [];

const seedRule = { name: 'autoheal-failures-spike', severity: 'error', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3, enabled: true };

describe('alert rule routes', () => {
  it('create, list, get, replace, enable/disable and delete rules in the seed shape', async () => {
    const created = await call('POST', '/alerts/rules', OPERATOR, seedRule);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...seedRule, source: null, for_seconds: 0, keep_firing_for_seconds: 0, group_by: [], id: expect.any(String), version: 1 });
    const id = created.body!.id as string;
    expect(created.location).toBe(`/alerts/rules/${id}`);
    expect((await call('GET', '/alerts/rules', VIEWER)).body).toMatchObject({ count: 1, rules: [{ id, name: seedRule.name }] });
    expect((await call('GET', `/alerts/rules/${id}`, VIEWER)).body).toMatchObject({ id, threshold: 3 });
    const replaced = await call('PUT', `/alerts/rules/${id}`, OPERATOR, { ...seedRule, threshold: 5, for_seconds: 60, group_by: ['data.service'] });
    expect(replaced.body).toMatchObject({ id, threshold: 5, for_seconds: 60, group_by: ['data.service'], version: 2 });
    const disabled = await call('PATCH', `/alerts/rules/${id}/enabled`, OPERATOR, { enabled: false });
    expect(disabled.body).toMatchObject({ id, enabled: false });
    expect((await call('GET', '/alerts/rules?enabled=true', VIEWER)).body).toMatchObject({ count: 0 });
    expect(await call('DELETE', `/alerts/rules/${id}`)).toMatchObject({ status: 200, body: { status: 'ok', id, removed: true } });
    expect((await call('DELETE', `/alerts/rules/${id}`)).status).toBe(404);
    expect((await call('GET', `/alerts/rules/${id}`, VIEWER)).status).toBe(404);
    expect((await call('PATCH', `/alerts/rules/${id}/enabled`, OPERATOR, { enabled: true })).status).toBe(404);
  });

  it('refuses bad rules with problem+json naming each field, and a taken name with 409', async () => {
    const bad = await call('POST', '/alerts/rules', OPERATOR, { name: '', event_type: 'not a type!', window_seconds: 0, threshold: 1.5, group_by: ['host', 'source', 'source'], colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect(fields(bad)).toEqual(expect.arrayContaining(['name', 'event_type', 'window_seconds', 'threshold', 'group_by.0', 'group_by', 'colour']));
    expect(fields(await call('POST', '/alerts/rules', OPERATOR, { name: 'x', threshold: 3 }))).toEqual(['window_seconds']);
    expect(fields(await call('PATCH', '/alerts/rules/any/enabled', OPERATOR, { enabled: 'yes' }))).toEqual(['enabled']);
    await call('POST', '/alerts/rules', OPERATOR, seedRule);
    const dup = await call('POST', '/alerts/rules', OPERATOR, seedRule);
    expect(dup.status).toBe(409);
    expect(fields(dup)).toEqual(['name']);
  });

  it('needs ops:read to read and ops:operate to write or evaluate (DESIGN §3)', async () => {
    expect((await call('GET', '/alerts/rules', {})).status).toBe(401);
    expect((await call('GET', '/alerts/rules', { 'x-user-roles': 'agent' })).status).toBe(200);
    expect((await call('POST', '/alerts/rules', VIEWER, seedRule)).status).toBe(403);
    expect((await call('POST', '/alerts/evaluate', VIEWER)).status).toBe(403);
    expect((await call('POST', '/alerts/templates/high-cpu/materialize', VIEWER, {})).status).toBe(403);
    expect((await call('POST', '/alerts/silences', VIEWER, { matchers: { rule: 'x' }, ends_at: '2030-01-01T00:00:00Z' })).status).toBe(403);
    expect((await call('GET', '/alerts/templates', VIEWER)).status).toBe(200);
    expect((await call('GET', '/alerts/silences', VIEWER)).status).toBe(200);
  });

  it('evaluates on request: the alert shows up in /alerts/active and under its rule, and the notifier gets one notice', async () => {
    const { body: rule } = await call('POST', '/alerts/rules', OPERATOR, { ...seedRule, group_by: ['data.service'] });
    for (let i = 0; i < 3; i++) await world.bus.publish({ type: 'autoheal.failed', source: 'aether-auto-heal', data: { service: 'api', error: 'exit 1' } });
    const report = await call('POST', '/alerts/evaluate');
    expect(report.body).toMatchObject({ rules: 1, alerts: { firing: 1 }, transitions: [{ from: 'inactive', to: 'pending' }, { from: 'pending', to: 'firing', group: { 'data.service': 'api' } }], notifications: { sent: 1 } });
    expect((await call('POST', '/alerts/evaluate')).body).toMatchObject({ transitions: [], notifications: { sent: 0 } });
    const active = await call('GET', '/alerts/active', VIEWER);
    expect(active.body).toMatchObject({ count: 1, alerts: [{ rule_id: rule!.id, rule_name: seedRule.name, status: 'firing', count: 3, group: { 'data.service': 'api' }, notifications: 1, queued_notices: 0 }] });
    expect((await call('GET', `/alerts/rules/${rule!.id}/alerts`, VIEWER)).body).toMatchObject({ count: 1, alerts: [{ status: 'firing' }] });
    expect((await call('GET', '/alerts/active?status=resolved', VIEWER)).body).toMatchObject({ count: 0 });
    expect(notifier.notices).toHaveLength(1);
  });
});

describe('silence routes', () => {
  it('create, list (active), get and delete silences; bad ones name the field', async () => {
    const ends = new Date(world.clock.now() + 3600 * S).toISOString();
    const created = await call('POST', '/alerts/silences', { 'x-user-roles': 'operator' }, { matchers: { rule: 'api-errors', tenant: 'acme' }, ends_at: ends, comment: 'deploy' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ matchers: { rule: 'api-errors', tenant: 'acme' }, starts_at: new Date(world.clock.now()).toISOString(), ends_at: ends, active: true, comment: 'deploy', recurring: null });
    const later = await call('POST', '/alerts/silences', OPERATOR, { matchers: { severity: 'info' }, starts_at: '2030-01-01T00:00:00Z', ends_at: '2030-01-02T00:00:00Z' });
    expect((await call('GET', '/alerts/silences?active=true', VIEWER)).body).toMatchObject({ count: 1, silences: [{ id: created.body!.id }] });
    expect((await call('GET', `/alerts/silences/${later.body!.id}`, VIEWER)).body).toMatchObject({ active: false });
    expect((await call('DELETE', `/alerts/silences/${later.body!.id}`)).status).toBe(200);
    expect((await call('GET', `/alerts/silences/${later.body!.id}`, VIEWER)).status).toBe(404);
    expect(fields(await call('POST', '/alerts/silences', OPERATOR, { matchers: {} }))).toEqual(expect.arrayContaining(['matchers', 'ends_at']));
    expect(fields(await call('POST', '/alerts/silences', OPERATOR, { matchers: { rule: 'x' }, ends_at: 'tomorrow' }))).toEqual(['ends_at']);
    expect(fields(await call('POST', '/alerts/silences', OPERATOR, { matchers: { rule: 'x' }, recurring: { weekdays: ['funday'], times: [{ start: '25:00', end: '10:00' }], timezone: 'Mars/Olympus' } }))).toEqual(
      expect.arrayContaining(['recurring.weekdays.0', 'recurring.times.0.start', 'recurring.timezone']),
    );
    const weekly = await call('POST', '/alerts/silences', OPERATOR, { matchers: { source: 'batch' }, recurring: { weekdays: ['sat', 'sun'] } });
    expect(weekly.body).toMatchObject({ ends_at: null, recurring: { weekdays: ['sat', 'sun'], times: [], timezone: 'UTC' } });
  });
});

describe('template routes', () => {
  it('lists at least five built-in templates, a tenant’s own with tenant=, and materializes one into a real rule', async () => {
    const global = await call('GET', '/alerts/templates', VIEWER);
    const ids = (global.body!.templates as { id: string }[]).map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['high-cpu', 'api-errors', 'disk-space', 'autoheal-failure-spike', 'ai-fallback-failures']));
    expect(ids).not.toContain('acme-orders');
    expect(((await call('GET', '/alerts/templates?tenant=acme', VIEWER)).body!.templates as { id: string }[]).map((t) => t.id)).toContain('acme-orders');

    const rule = await call('POST', '/alerts/templates/autoheal-failure-spike/materialize', OPERATOR, {});
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({ name: 'autoheal-failure-spike', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3, group_by: ['data.service'], tenant: null, enabled: true });
    expect((await call('GET', `/alerts/rules/${rule.body!.id}`, VIEWER)).status).toBe(200);
    expect((await call('POST', '/alerts/templates/autoheal-failure-spike/materialize', OPERATOR, {})).status).toBe(409);
    const forTenant = await call('POST', '/alerts/templates/high-cpu/materialize', OPERATOR, { tenant: 'acme', threshold: 5 });
    expect(forTenant.body).toMatchObject({ name: 'high-cpu-acme', tenant: 'acme', threshold: 5, for_seconds: 120 });
    expect((await call('POST', '/alerts/templates/acme-orders/materialize', OPERATOR, {})).body).toMatchObject({ name: 'acme-orders-acme', tenant: 'acme', event_type: 'order.failed' });
    expect(fields(await call('POST', '/alerts/templates/acme-orders/materialize', OPERATOR, { tenant: 'globex' }))).toEqual(['tenant']);
    expect(fields(await call('POST', '/alerts/templates/high-cpu/materialize', OPERATOR, { name: 'x', threshold: -1 }))).toEqual(['threshold']);
    expect((await call('POST', '/alerts/templates/nope/materialize', OPERATOR, {})).status).toBe(404);
  });
});

describe('backtest route', () => {
  it('replays stored events of a past range through a rule on a virtual clock: episodes, fire and resolve times, notices', async () => {
    const start = world.clock.now();
    // Two bursts of failures ten minutes apart, then calm.
    for (const at of [60, 70, 80, 660, 665, 670, 675]) {
      world.clock.set(start + at * S);
      await world.bus.publish({ type: 'autoheal.failed', source: 'aether-auto-heal', data: { service: 'api', error: 'exit 1' } });
    }
    world.clock.set(start + 3600 * S);
    const body = { rule: { event_type: 'autoheal.failed', window_seconds: 120, threshold: 3 }, from: new Date(start).toISOString(), to: new Date(start + 1800 * S).toISOString(), step_seconds: 15 };
    const preview = await call('POST', '/alerts/rules/preview', VIEWER, body);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      rule: { id: null, name: 'preview', threshold: 3 },
      evaluations: 121,
      events_matched: 7,
      episodes_total: 2,
      episodes: [
        { firing_at: new Date(start + 90 * S).toISOString(), resolved_at: new Date(start + 195 * S).toISOString(), peak_count: 3, notifications: 2 },
        { firing_at: new Date(start + 675 * S).toISOString(), resolved_at: new Date(start + 795 * S).toISOString(), peak_count: 4, notifications: 2 },
      ],
      notifications: { firing: 2, repeat: 0, resolved: 2, silenced: 0, total: 4 },
    });
    const saved = await call('POST', '/alerts/rules', OPERATOR, { ...body.rule, name: 'spike', keep_firing_for_seconds: 600 });
    const merged = await call('POST', '/alerts/rules/preview', VIEWER, { rule_id: saved.body!.id, from: body.from, to: body.to, step_seconds: 15 });
    expect(merged.body).toMatchObject({ rule: { id: saved.body!.id, name: 'spike' }, episodes_total: 1, episodes: [{ firing_at: new Date(start + 90 * S).toISOString(), resolved_at: new Date(start + 1395 * S).toISOString() }] });
    await call('POST', '/alerts/silences', OPERATOR, { matchers: { rule: 'spike' }, starts_at: new Date(start).toISOString(), ends_at: new Date(start + 120 * S).toISOString() });
    const silenced = await call('POST', '/alerts/rules/preview', VIEWER, { rule_id: saved.body!.id, from: body.from, to: body.to, step_seconds: 15 });
    expect(silenced.body).toMatchObject({ notifications: { firing: 1, silenced: 1, resolved: 1, total: 2 }, episodes: [{ notifications: 2, silenced: 1 }] });
  });

  it('refuses a preview without exactly one rule, with a range in the future, or with too many evaluations', async () => {
    const now = world.clock.now();
    const range = { from: new Date(now - 3600 * S).toISOString(), to: new Date(now).toISOString() };
    expect(fields(await call('POST', '/alerts/rules/preview', VIEWER, range))).toEqual(['rule']);
    expect(fields(await call('POST', '/alerts/rules/preview', VIEWER, { ...range, rule: { window_seconds: 60, threshold: 1 }, rule_id: 'x' }))).toEqual(['rule']);
    expect(fields(await call('POST', '/alerts/rules/preview', VIEWER, { ...range, to: new Date(now + 60 * S).toISOString(), rule: { window_seconds: 60, threshold: 1 } }))).toEqual(['to']);
    expect(fields(await call('POST', '/alerts/rules/preview', VIEWER, { from: range.to, to: range.from, rule: { window_seconds: 60, threshold: 1 } }))).toEqual(['to']);
    expect(fields(await call('POST', '/alerts/rules/preview', VIEWER, { from: new Date(now - 30 * 86_400 * S).toISOString(), to: range.to, step_seconds: 1, rule: { window_seconds: 60, threshold: 1 } }))).toEqual(['step_seconds']);
    expect((await call('POST', '/alerts/rules/preview', VIEWER, { ...range, rule_id: 'missing' })).status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents a response schema for every alert route', () => {
    const doc = buildOpenApi(mod.routes, { title: 't', version: '1' }) as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> }>> };
    // The success answer: 200, or 201 where a route creates something.
    const success = (responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }>) => Object.entries(responses).find(([s]) => s.startsWith('2'))![1];
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, schema: success(op.responses).content['application/json']!.schema })));
    expect(operations.length).toBe(mod.routes.length);
    for (const op of operations) expect(Object.keys(op.schema), `${op.method} ${op.path}`).not.toHaveLength(0);
  });
});
