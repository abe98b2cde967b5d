import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startOps, type RunningOps } from './helpers.js';

describe('customer-ops over HTTP: leads and activities behind RBAC and audit (no command center)', () => {
  let s: RunningOps;
  beforeAll(async () => {
    s = await startOps();
  });
  afterAll(() => s?.close());

  const ada = { name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines', owner: 'grace' };
  const createLead = async (body: Record<string, unknown>) => {
    const res = await call(s.url, 'POST', '/leads', { roles: 'agent', body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.lead as { id: string } & Record<string, unknown>;
  };

  it('creates a lead (201, Location) with defaults, reads it back, and commits no event when no command center is set', async () => {
    const res = await call(s.url, 'POST', '/leads', { roles: 'agent', body: ada });
    expect(res.status).toBe(201);
    const lead = res.body.lead;
    expect(lead).toMatchObject({ ...ada, status: 'new', source: 'manual', phone: null, notes: null });
    expect(res.headers.get('location')).toBe(`/leads/${lead.id}`);
    expect((await call(s.url, 'GET', `/leads/${lead.id}`, { roles: 'viewer' })).body).toEqual({ lead });
    expect(s.ops.store.outbox.pending()).toBe(0);
  });

  it('answers bad input with problem+json naming each field, never a 500', async () => {
    const bad = await call(s.url, 'POST', '/leads', { roles: 'agent', body: { name: '', email: 'not-an-email', status: 'hot', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'extra', 'name', 'status']);
    const query = await call(s.url, 'GET', '/leads?status=hot&limit=0', { roles: 'viewer' });
    expect(query.status).toBe(400);
    expect(query.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'status']);
    expect((await call(s.url, 'GET', '/leads?cursor=zzz', { roles: 'viewer' })).body.errors[0].field).toBe('cursor');
    expect((await call(s.url, 'GET', '/leads/00000000-nope', { roles: 'viewer' })).status).toBe(404);
    const empty = await call(s.url, 'PATCH', `/leads/${(await createLead({ name: 'E', email: 'e@e.example' })).id}`, { roles: 'agent', body: {} });
    expect(empty.status).toBe(400);
  });

  it('filters by status, owner, company (any case) and text, and pages newest first with a cursor', async () => {
    const owner = 'pager';
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createLead({ name: `Pager ${i}`, email: `p${i}@pager.example`, company: i % 2 ? 'Odd Co' : 'Even Co', owner, status: i < 2 ? 'qualified' : 'new' })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(s.url, 'GET', `/leads?owner=${owner}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { roles: 'viewer' });
      expect(res.status).toBe(200);
      expect(res.body.count).toBeLessThanOrEqual(2);
      seen.push(...res.body.leads.map((l: { id: string }) => l.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const names = async (query: string) => (await call(s.url, 'GET', `/leads?owner=${owner}&${query}`, { roles: 'viewer' })).body.leads.map((l: { name: string }) => l.name).sort();
    expect(await names('status=qualified')).toEqual(['Pager 0', 'Pager 1']);
    expect(await names('company=odd%20co')).toEqual(['Pager 1', 'Pager 3']);
    expect(await names('q=p4%40pager')).toEqual(['Pager 4']);
    // LIKE's wildcards are searched for, not obeyed.
    expect(await names('q=%25')).toEqual([]);
  });

  it('updates some fields, clears one with null, and keeps the rest', async () => {
    const lead = await createLead({ ...ada, email: 'patch@analytical.example', phone: '+44 20 7946 0000' });
    const res = await call(s.url, 'PATCH', `/leads/${lead.id}`, { roles: 'agent', body: { status: 'contacted', phone: null } });
    expect(res.status).toBe(200);
    expect(res.body.lead).toMatchObject({ id: lead.id, status: 'contacted', phone: null, name: ada.name, company: ada.company });
    expect(res.body.lead.updated_at >= (lead.updated_at as string)).toBe(true);
    expect((await call(s.url, 'PATCH', '/leads/missing', { roles: 'agent', body: { status: 'won' } })).status).toBe(404);
  });

  it('records activities on a lead, lists them by lead, type and time, and updates them', async () => {
    const lead = await createLead({ name: 'Activity Lead', email: 'act@lead.example' });
    const add = (body: Record<string, unknown>) => call(s.url, 'POST', `/leads/${lead.id}/activities`, { roles: 'agent', body });
    const call1 = await add({ type: 'call', note: 'Intro call, interested in pricing', occurred_at: '2025-11-01T09:00:00Z' });
    expect(call1.status).toBe(201);
    expect(call1.body.activity).toMatchObject({ lead_id: lead.id, type: 'call', occurred_at: '2025-11-01T09:00:00.000Z' });
    await add({ type: 'email', note: 'Sent the pricing sheet', occurred_at: '2025-11-02T09:00:00+01:00' });
    expect((await add({ type: 'fax', note: 'x' })).body.errors[0].field).toBe('type');
    expect((await call(s.url, 'POST', '/leads/missing/activities', { roles: 'agent', body: { type: 'note', note: 'x' } })).status).toBe(404);

    const list = await call(s.url, 'GET', `/leads/${lead.id}/activities`, { roles: 'viewer' });
    expect(list.body.activities.map((a: { type: string }) => a.type)).toEqual(['email', 'call']);
    const emails = await call(s.url, 'GET', `/activities?lead_id=${lead.id}&type=email`, { roles: 'viewer' });
    expect(emails.body.count).toBe(1);
    const since = await call(s.url, 'GET', `/activities?lead_id=${lead.id}&since=2025-11-01T12:00:00Z`, { roles: 'viewer' });
    expect(since.body.activities.map((a: { type: string }) => a.type)).toEqual(['email']);

    const id = call1.body.activity.id;
    const patched = await call(s.url, 'PATCH', `/activities/${id}`, { roles: 'agent', body: { note: 'Intro call: wants a demo' } });
    expect(patched.body.activity).toMatchObject({ id, note: 'Intro call: wants a demo', type: 'call' });
    expect((await call(s.url, 'GET', `/activities/${id}`, { roles: 'viewer' })).body.activity.note).toBe('Intro call: wants a demo');
  });

  it('lets agents write, viewers read, and nobody in without credentials; audits each request by route template', async () => {
    const lead = await createLead({ name: 'RBAC', email: 'rbac@lead.example' });
    expect((await call(s.url, 'GET', '/leads')).status).toBe(401);
    expect((await call(s.url, 'POST', '/leads', { roles: 'viewer', body: ada })).status).toBe(403);
    expect((await call(s.url, 'PATCH', `/leads/${lead.id}`, { roles: 'viewer', body: { status: 'won' } })).status).toBe(403);
    expect((await call(s.url, 'GET', `/leads/${lead.id}`, { roles: 'viewer' })).status).toBe(200);
    // Operators run the ops plane, not the CRM; admins may do anything.
    expect((await call(s.url, 'GET', '/leads', { roles: 'operator' })).status).toBe(403);
    expect((await call(s.url, 'PATCH', `/leads/${lead.id}`, { roles: 'admin', body: { status: 'won' } })).status).toBe(200);
    // The AI assistant is for agents.
    expect((await call(s.url, 'POST', '/leads/extract', { roles: 'viewer', body: { text: 'x' } })).status).toBe(403);

    const records = s.audit().filter((r) => r.path === '/leads/{id}');
    expect(records.map((r) => r.status)).toEqual(expect.arrayContaining([403, 200]));
    expect(s.audit().some((r) => r.path.includes(lead.id))).toBe(false);
    // A 403 is also an event on the local bus, on its way to the command center when there is one.
    const violations = await s.ops.bus.query({ type: 'security.rbac.violation' });
    expect(violations.events.length).toBeGreaterThanOrEqual(3);
  });

  it('serves /metrics with the CRM gauges and /health.json with its database check', async () => {
    const res = await fetch(`${s.url}/metrics`);
    const families = new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
    expect(Number(families.get('crm_leads')?.metrics[0]?.value)).toBe(s.ops.store.countLeads());
    expect(families.get('crm_outbox_pending')?.metrics[0]?.value).toBe('0');
    expect(families.get('http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const health = await fetch(`${s.url}/health.json`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { status: string; checks: Record<string, unknown> };
    expect(report.status).toBe('pass');
    expect(Object.keys(report.checks)).toEqual(expect.arrayContaining(['crm-database:ping', 'crm-outbox:pending']));
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });
});
