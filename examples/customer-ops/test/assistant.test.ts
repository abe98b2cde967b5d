import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../../packages/ai-router/src/_testing/fake-llm-server.js';
import { call, startCommandCenter, startOps, type RunningOps, type RunningServer } from './helpers.js';

const ANTHROPIC_KEY = 'sk-ant-test-never-logged-0123';

describe('the AI assistant: extract-lead and summarize-activity through the AI router, beside a real command center', () => {
  let fake: FakeLlmServer;
  let cc: RunningServer;
  let s: RunningOps;
  beforeAll(async () => {
    fake = await startFakeLlmServer();
    cc = await startCommandCenter();
    s = await startOps({
      COMMAND_CENTER_URL: cc.url,
      PROVIDER_ORDER: 'claude,openai',
      ANTHROPIC_BASE_URL: fake.baseUrl('claude', 'anthropic'),
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      OPENAI_BASE_URL: fake.baseUrl('openai', 'openai'),
      OPENAI_API_KEY: 'sk-openai-test',
    });
  });
  afterAll(async () => {
    await s?.close();
    await cc?.stop();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const text = 'Met Ada Lovelace from Analytical Engines at the fair; she wants a demo. ada@analytical.example, +44 20 7946 0000';
  const lead = { name: 'Ada Lovelace', email: 'ada@analytical.example', company: 'Analytical Engines', phone: '+44 20 7946 0000' };
  const ccEvents = async (query: string) => (await call(cc.url, 'GET', `/events/recent?${query}`, { roles: 'viewer' })).body.events as { data: Record<string, unknown> }[];

  it('extracts a lead from free text past an overloaded Claude, validated, without saving it', async () => {
    fake.set('claude', { kind: 'status', status: 529 });
    fake.set('openai', { kind: 'ok', text: JSON.stringify(lead) });
    const before = s.ops.store.countLeads();
    const res = await call(s.url, 'POST', '/leads/extract', { roles: 'agent', body: { text } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ extracted: lead, used_provider: 'openai' });
    expect(res.body.attempts).toBeGreaterThanOrEqual(2);
    // The text reached the provider in OpenAI's wire format, as a JSON-mode request.
    const sent = fake.requests('openai')[0]!.body as { messages: { content: string }[]; response_format?: unknown };
    expect(sent.messages.at(-1)!.content).toBe(text);
    expect(s.ops.store.countLeads()).toBe(before);
  });

  it('saves the extracted lead with save: true, marked as from the AI, and announces it to the command center', async () => {
    fake.set('claude', { kind: 'ok', text: `Here is the lead:\n\`\`\`json\n${JSON.stringify(lead)}\n\`\`\`` });
    const res = await call(s.url, 'POST', '/leads/extract', { roles: 'agent', body: { text, save: true } });
    expect(res.status).toBe(201);
    expect(res.body.lead).toMatchObject({ ...lead, source: 'ai', status: 'new' });
    expect(res.body.used_provider).toBe('claude');
    const id = res.body.lead.id as string;
    const event = await eventually(async () => (await ccEvents('event_type=lead.created&source=customer-ops')).find((e) => e.data.lead_id === id), 'lead.created in the command center');
    expect(event.data).toMatchObject({ source: 'ai', company: 'Analytical Engines' });
  });

  it('answers 502 naming each provider when no answer is a valid lead, and saves nothing', async () => {
    fake.set('claude', { kind: 'ok', text: '{"name": "Ada"}' });
    fake.set('openai', { kind: 'ok', text: 'I could not find a lead in that text.' });
    const before = s.ops.store.countLeads();
    const res = await call(s.url, 'POST', '/leads/extract', { roles: 'agent', body: { text, save: true } });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body.code).toBe('upstream_failed');
    expect(res.body.provider_errors.map((e: { provider: string }) => e.provider).sort()).toEqual(['claude', 'openai']);
    expect(s.ops.store.countLeads()).toBe(before);
    expect((await call(s.url, 'POST', '/leads/extract', { roles: 'agent', body: { text: '' } })).body.errors[0].field).toBe('text');
  });

  it('summarizes a lead’s activities and publishes ai.summary.created about the lead', async () => {
    const { body } = await call(s.url, 'POST', '/leads', { roles: 'agent', body: { name: 'Summary Lead', email: 'summary@lead.example' } });
    const id = body.lead.id as string;
    expect((await call(s.url, 'POST', `/leads/${id}/summary`, { roles: 'agent' })).status).toBe(409);
    for (const note of ['Intro call: interested in the enterprise plan', 'Sent pricing; asked for a demo next week']) {
      expect((await call(s.url, 'POST', `/leads/${id}/activities`, { roles: 'agent', body: { type: 'note', note } })).status).toBe(201);
    }
    fake.set('claude', { kind: 'ok', text: 'Interested in the enterprise plan; a demo is planned for next week.' });
    const res = await call(s.url, 'POST', `/leads/${id}/summary`, { roles: 'agent', body: { max_words: 30 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lead_id: id, summary: 'Interested in the enterprise plan; a demo is planned for next week.', activities: 2, used_provider: 'claude' });
    const prompt = JSON.stringify(fake.requests('claude')[0]!.body);
    expect(prompt).toContain('Sent pricing; asked for a demo next week');
    expect(prompt).toContain('at most 30 words');
    const event = await eventually(async () => (await ccEvents('event_type=ai.summary.created&source=customer-ops')).find((e) => e.data.subject_id === id), 'ai.summary.created in the command center');
    expect(event.data.summary).toBe('Interested in the enterprise plan; a demo is planned for next week.');
    expect((await call(s.url, 'POST', '/leads/nope/summary', { roles: 'agent' })).status).toBe(404);
  });

  it('never writes a provider key to its log', () => {
    expect(s.logs().length).toBeGreaterThan(0);
    expect(JSON.stringify(s.logs())).not.toContain(ANTHROPIC_KEY);
  });
});
