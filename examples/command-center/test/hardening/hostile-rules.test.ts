// Issue #17, item 2, over the rule evaluator: a rule document that does not read as a rule (written by an older
// version, by hand, or by an attacker with database access) cannot break the evaluation of the others. Two worlds see
// the same events on the same manual clock; one also holds hostile rule documents. The good rules' transitions and
// notices must be the same in both, and no evaluation may throw.
import { alertRulesCollection, createAlertEvaluator, createRuleBook, type AlertNotification } from '@aetherlink/alerts';
import { createEventBus, createManualClock, memoryDocumentStore, memoryEventStore, silentLogger } from '@aetherlink/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const RUNS = Math.max(10, Math.round(Number(process.env.HARDENING_RUNS ?? 40) / 2));
const SEED = process.env.HARDENING_SEED ? Number(process.env.HARDENING_SEED) : undefined;

const goodRule = fc.record({
  window_seconds: fc.integer({ min: 30, max: 600 }),
  threshold: fc.integer({ min: 1, max: 4 }),
  for_seconds: fc.constantFrom(0, 20, 60),
  keep_firing_for_seconds: fc.constantFrom(0, 30),
  event_type: fc.constantFrom(null, 'api.error', 'api.*'),
  source: fc.constantFrom(null, 'billing', 'search'),
  group_by: fc.constantFrom<string[]>([], ['source'], ['event_type', 'source']),
  severity: fc.constantFrom('warning', 'critical'),
});

const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 0, 1e308, Number.NaN, 'x'.repeat(10_000), '\ud800', 'nul\u0000', [], {}, ['__proto__'], { __proto__: null, constructor: 1 }),
);

/** Rule documents as no rule book would write them. */
const hostileDoc: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ name: fc.string(), enabled: fc.constant(true), spec: nasty }),
  fc.record({ name: fc.string(), enabled: fc.constant(true) }),
  fc.record({ name: nasty, enabled: nasty, spec: nasty }, { requiredKeys: [] }),
  fc.tuple(goodRule, fc.constantFrom('window_seconds', 'threshold', 'group_by', 'event_type', 'for_seconds', 'severity'), nasty).map(([spec, key, value]) => ({
    name: `spoiled-${key}`,
    enabled: true,
    spec: { ...spec, [key]: value },
  })),
  fc.dictionary(fc.string({ maxLength: 10 }), nasty, { maxKeys: 5 }),
);

const eventStep = fc.record({
  type: fc.constantFrom('api.error', 'api.slow', 'db.down'),
  source: fc.constantFrom('billing', 'search'),
  advanceMs: fc.integer({ min: 0, max: 40_000 }),
  tick: fc.boolean(),
});

function world() {
  const clock = createManualClock(Date.parse('2026-06-01T12:00:00.000Z'));
  const documents = memoryDocumentStore({ clock });
  const bus = createEventBus({ clock, store: memoryEventStore(), source: 'hardening' });
  const notices: AlertNotification[] = [];
  const evaluator = createAlertEvaluator({ documents, bus, clock, owner: 'w', logger: silentLogger, notifier: { notify: async (n) => (notices.push(structuredClone(n)), { enqueued: 1 }) } });
  return { clock, documents, bus, evaluator, notices, rules: createRuleBook({ documents }) };
}

const ofGood = (name: string) => name.startsWith('good-');

describe('the rule evaluator with hostile rule documents beside good rules', () => {
  it('decides the good rules exactly as it would without them, and never throws', async () => {
    let hostileStored = 0;
    let transitioned = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(goodRule, { minLength: 1, maxLength: 4 }), fc.array(hostileDoc, { minLength: 1, maxLength: 4 }), fc.array(eventStep, { maxLength: 30 }), async (good, hostile, steps) => {
        const clean = world();
        const dirty = world();
        for (const [i, spec] of good.entries()) {
          await clean.rules.create({ name: `good-${i}`, ...spec });
          await dirty.rules.create({ name: `good-${i}`, ...spec });
        }
        for (const [i, data] of hostile.entries()) {
          // Straight into the store, past the rule book's validation; a store that refuses it is fine too.
          const stored = await dirty.documents.put(alertRulesCollection, { id: `hostile-${i}`, data }).catch(() => null);
          if (stored) hostileStored++;
        }
        const term = { clean: new AbortController(), dirty: new AbortController() };
        const transitions = { clean: [] as string[], dirty: [] as string[] };
        const tick = async (which: 'clean' | 'dirty') => {
          const w = which === 'clean' ? clean : dirty;
          const report = await w.evaluator.evaluate({ term: term[which].signal, signal: term[which].signal });
          for (const t of report.transitions) if (ofGood(t.rule_name)) transitions[which].push(`${t.rule_name} ${JSON.stringify(t.group)} ${t.from}→${t.to} ${t.at}`);
        };
        for (const step of [...steps, { type: 'api.error', source: 'billing', advanceMs: 700_000, tick: true }]) {
          for (const w of [clean, dirty]) {
            await w.clock.advanceAsync(step.advanceMs);
            await w.bus.publish({ type: step.type, source: step.source, data: {} });
          }
          if (step.tick) {
            await tick('clean');
            await tick('dirty');
          }
        }
        const notices = (w: ReturnType<typeof world>) => w.notices.filter((n) => ofGood(n.rule.name)).map((n) => `${n.rule.name} ${n.status} ${JSON.stringify(n.group)} ${n.count} ${n.started_at}`);
        expect(transitions.dirty).toEqual(transitions.clean);
        if (transitions.clean.length > 0) transitioned++;
        expect(notices(dirty)).toEqual(notices(clean));
        term.clean.abort();
        term.dirty.abort();
        clean.evaluator.close();
        dirty.evaluator.close();
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    console.info(`[hardening] rule evaluator: ${RUNS} worlds (${transitioned} with good rules changing state), ${hostileStored} hostile rule documents stored beside good rules`);
    expect(hostileStored).toBeGreaterThan(0);
    expect(transitioned).toBeGreaterThan(0);
  });
});
