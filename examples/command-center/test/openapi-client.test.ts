// The OpenAPI document as a client generator sees it: a real validator passes it, openapi-typescript turns it into
// types, and a client written against them with openapi-fetch type-checks (tsc) and talks to the running server.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiIssues } from '@aetherlink/core';
import { compileErrors, validate } from '@readme/openapi-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

// Generating the types and running the compiler takes seconds on a busy two-core machine.
vi.setConfig({ testTimeout: 120_000 });

const DIR = fileURLToPath(new URL('./.generated/', import.meta.url));

// What a developer would write against the generated types. The @ts-expect-error lines prove the types are real:
// were they `any`, the compiler would report the directives as unused.
const USAGE = `
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

type Problem = components['schemas']['Problem'];

export async function run(baseUrl: string) {
  const agent = createClient<paths>({ baseUrl, headers: { 'x-user-roles': 'agent' } });
  const viewer = createClient<paths>({ baseUrl, headers: { 'x-user-roles': 'viewer' } });

  const ping = await agent.GET('/ops/ping');
  const service: string | undefined = ping.data?.service;

  const published = await agent.POST('/events/publish', { body: { type: 'lead.created', source: 'client-test', data: { lead_id: 7 } } });
  const eventId: string | undefined = published.data?.event_id;
  const seed = await agent.POST('/events/publish', { body: { event_type: 'lead.created', source: 'client-test', payload: { lead_id: 8 } } });

  const recent = await viewer.GET('/events/recent', { params: { query: { source: 'client-test', limit: 5 } } });
  const types: string[] = (recent.data?.events ?? []).map((e) => e.type);
  const count: number | undefined = recent.data?.count;

  const missing = await viewer.GET('/events/schema/{type}', { params: { path: { type: 'no.such.type' } } });
  const notFound: Problem | undefined = missing.error;

  const denied = await viewer.POST('/events/publish', { body: { type: 'lead.created', source: 'client-test' } });
  const bad = await agent.POST('/events/publish', { body: { type: 'Not A Type', source: 'client-test' } });
  const fields: string[] = (bad.error?.errors ?? []).map((e) => e.field);

  const health = await viewer.GET('/providers/health');
  const breakers: string[] = Object.values(health.data ?? {}).map((p) => p.breaker);

  const operator = createClient<paths>({ baseUrl, headers: { 'x-user-roles': 'operator' } });
  const rule = await operator.POST('/alerts/rules', { body: { name: 'client-rule', event_type: 'lead.created', window_seconds: 60, threshold: 3 } });
  const ruleId: string | undefined = rule.data?.id;
  const badRule = await operator.POST('/alerts/rules', { body: { name: 'client-rule-2', window_seconds: 0, threshold: 3 } });
  const history = await viewer.GET('/alerts/deliveries/history', { params: { query: { limit: 5, status: 'dead_letter' } } });
  const statuses: string[] = (history.data?.deliveries ?? []).map((d) => d.status);
  const replayed = await operator.POST('/alerts/deliveries/replay-bulk', { body: { ids: ['no-such-delivery'] } });

  // Compiled, never called.
  const mistakes = () => [
    // @ts-expect-error: no such path
    agent.GET('/ops/pingg'),
    // @ts-expect-error: severity is one of info, warning, error, critical
    agent.POST('/events/publish', { body: { type: 'a.b', source: 's', severity: 'loud' } }),
    // @ts-expect-error: the path parameter is required
    viewer.GET('/events/schema/{type}', {}),
    // @ts-expect-error: a rule's threshold is a number
    operator.POST('/alerts/rules', { body: { name: 'r', window_seconds: 60, threshold: 'many' } }),
  ];
  void mistakes;

  return {
    service,
    eventId,
    seedOk: seed.response.status,
    types,
    count,
    notFound: { status: missing.response.status, code: notFound?.code, type: missing.response.headers.get('content-type') },
    denied: { status: denied.response.status, code: denied.error?.code },
    bad: { status: bad.response.status, code: bad.error?.code, fields },
    breakers,
    rule: { status: rule.response.status, id: ruleId },
    badRule: { status: badRule.response.status, fields: (badRule.error?.errors ?? []).map((e) => e.field) },
    statuses,
    replayed: { status: replayed.response.status, fields: (replayed.error?.errors ?? []).map((e) => e.field) },
  };
}
`;

describe('the OpenAPI document, through a validator and a generated client', () => {
  let cc: CommandCenter;
  let url: string;
  let doc: Record<string, unknown>;

  beforeAll(async () => {
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:' }), { env: {} });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    doc = (await (await fetch(`${url}/openapi.json`)).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await cc?.close();
    rmSync(DIR, { recursive: true, force: true });
  });

  it('gives every route a response schema and a unique operationId (routes of every module, as they are added)', () => {
    expect(openApiIssues(cc.routes)).toEqual([]);
  });

  it('passes an OpenAPI 3.1 validator (specification schema, duplicate operationIds, path parameters)', async () => {
    // The validator dereferences in place: hand it a copy.
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('generates TypeScript types that a client type-checks against, and that client talks to the server', async () => {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(`${DIR}schema.ts`, astToString(await openapiTS(doc as never)));
    writeFileSync(`${DIR}usage.ts`, USAGE);
    const program = ts.createProgram([`${DIR}usage.ts`], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
      types: [],
      skipLibCheck: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName.split('/').pop() ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);

    const usage = (await import(`${DIR}usage.ts`)) as { run(baseUrl: string): Promise<Record<string, unknown>> };
    const out = await usage.run(url);
    expect(out).toMatchObject({
      service: 'aetherlink-command-center',
      eventId: expect.any(String),
      seedOk: 200,
      types: ['lead.created', 'lead.created'],
      count: 2,
      notFound: { status: 404, code: 'not_found', type: expect.stringMatching(/^application\/problem\+json/) },
      denied: { status: 403, code: 'forbidden' },
      bad: { status: 400, code: 'validation_failed', fields: ['type'] },
      breakers: ['closed'],
      rule: { status: 201, id: expect.any(String) },
      badRule: { status: 400, fields: ['window_seconds'] },
      statuses: [],
      replayed: { status: 400, fields: ['ids[0]'] },
    });
  });
});
