import { collection, memoryDocumentStore } from '@aetherlink/core';
import { rejection } from '@aetherlink/core/testing';
import { describe, expect, it } from 'vitest';
import { alertWorld, evaluatorUnderTest } from './_testing/harness.js';
import { alertRulesCollection } from './collections.js';
import { createRuleBook, parseRuleInput } from './rules.js';

describe('rule book', () => {
  it('reads rows migrated from the old rules table: seed-shaped specs as rules, others with a problem and never evaluated', async () => {
    const w = alertWorld();
    const raw = collection(w.documents, alertRulesCollection);
    await raw.put({ id: 'r-1', data: { name: 'spike', enabled: true, spec: { severity: 'error', event_type: 'autoheal.failed', source: null, window_seconds: 300, threshold: 3 }, state: null } });
    await raw.put({ id: 'r-2', data: { name: 'quiet', enabled: true, spec: {}, state: { firing_since: '2026-01-03T00:00:00.000Z' } } });
    const [spike, quiet] = await w.rules.list();
    expect(spike).toMatchObject({ id: 'r-1', name: 'spike', severity: 'error', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3, for_seconds: 0, group_by: [] });
    expect(spike!.problem).toBeUndefined();
    expect(quiet).toMatchObject({ id: 'r-2', name: 'quiet', enabled: true });
    expect(quiet!.problem).toMatch(/spec\.window_seconds/);
    for (let i = 0; i < 3; i++) await w.bus.publish({ type: 'autoheal.failed', source: 'heal', data: {} });
    const report = await evaluatorUnderTest({ ...w, owner: 'a' }).tick();
    expect(report).toMatchObject({ rules: 1, alerts: { firing: 1 } });
  });

  it('reads a document that is no rule at all (spec null or a list, name or enabled of another type) with a problem; the others still evaluate', async () => {
    const w = alertWorld();
    await w.rules.create({ name: 'spike', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3 });
    // Straight into the store, as a hand edit or an older version might leave it.
    const junk: Record<string, unknown>[] = [{ name: 'a', enabled: true, spec: null }, { name: 'b', enabled: true, spec: [1] }, { name: 7, enabled: 'yes', spec: {} }, {}];
    for (const [i, data] of junk.entries()) await w.documents.put(alertRulesCollection, { id: `junk-${i}`, data });
    const rules = await w.rules.list();
    expect(rules).toHaveLength(5);
    const broken = rules.filter((r) => r.problem !== undefined);
    expect(broken.map((r) => r.id).sort()).toEqual(['junk-0', 'junk-1', 'junk-2', 'junk-3']);
    expect(broken.find((r) => r.id === 'junk-2')).toMatchObject({ name: 'junk-2', enabled: false, problem: expect.stringMatching(/name: must be a string; enabled: must be true or false/) });
    for (let i = 0; i < 3; i++) await w.bus.publish({ type: 'autoheal.failed', source: 'heal', data: {} });
    expect(await evaluatorUnderTest({ ...w, owner: 'a' }).tick()).toMatchObject({ rules: 1, alerts: { firing: 1 } });
  });

  it('stores a rule as { name, enabled, spec, state: null }, keeping alert state out of the rule document', async () => {
    const documents = memoryDocumentStore();
    const rule = await createRuleBook({ documents }).create({ name: 'x', event_type: 'a.b', window_seconds: 60, threshold: 2 });
    expect((await collection(documents, alertRulesCollection).get(rule.id))!.data).toEqual({
      name: 'x',
      enabled: true,
      spec: { severity: 'critical', event_type: 'a.b', source: null, tenant: null, window_seconds: 60, threshold: 2, for_seconds: 0, keep_firing_for_seconds: 0, repeat_interval_seconds: null, group_by: [], description: null },
      state: null,
    });
  });

  it('replaces with compare-and-set and names every bad field', async () => {
    const book = createRuleBook({ documents: memoryDocumentStore() });
    const rule = await book.create({ name: 'x', window_seconds: 60, threshold: 2 });
    await book.replace(rule.id, { name: 'x', window_seconds: 120, threshold: 2 });
    expect((await rejection(book.replace(rule.id, { name: 'x', window_seconds: 30, threshold: 2 }, { ifVersion: rule.version }))).code).toBe('conflict');
    expect((await rejection(book.replace('nope', { name: 'x', window_seconds: 30, threshold: 2 }))).code).toBe('not_found');
    const bad = await rejection(Promise.resolve().then(() => parseRuleInput({ name: 'x', window_seconds: 604_801, threshold: 0, severity: 'loud', for_seconds: -1, repeat_interval_seconds: 5 })));
    expect(bad.errors?.map((e) => e.field).sort()).toEqual(['for_seconds', 'repeat_interval_seconds', 'severity', 'threshold', 'window_seconds']);
    expect(bad.errors?.every((e) => e.in === 'body')).toBe(true);
  });
});
