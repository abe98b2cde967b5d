// Issue #17, item 2, over the channel templates: a broken message template (a function that throws or answers
// nonsense) for one channel never changes another channel's messages, and hostile alert values (markup, mentions,
// lone surrogates, NUL, huge strings) render for every channel and format into JSON a receiver can read, with
// Slack's control characters escaped.
import { CHANNEL_NAMES, createRenderer, type AlertNotification, type ChannelName, type TemplateOverrides } from '@aetherlink/alerts';
import { silentLogger } from '@aetherlink/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const RUNS = Math.max(20, Number(process.env.HARDENING_RUNS ?? 40));
const SEED = process.env.HARDENING_SEED ? Number(process.env.HARDENING_SEED) : undefined;

const hostileText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('<!channel> <!here> @everyone <@U123>', '*bold* _it_ `code` ```block```', '\ud800 lone', 'nul\u0000byte', '&lt;&amp;', 'x'.repeat(50_000), '{{rule}}', '"}]}'),
);

const notification: fc.Arbitrary<AlertNotification> = fc.record({
  status: fc.constantFrom('firing' as const, 'resolved' as const),
  episode_id: hostileText,
  notification_id: hostileText,
  rule: fc.record({ id: hostileText, name: hostileText, severity: fc.constantFrom('info' as const, 'warning' as const, 'error' as const, 'critical' as const), tenant: fc.option(hostileText, { nil: null }) }),
  group: fc.dictionary(fc.constantFrom('source', 'tenant', 'event_type', 'severity', 'subject'), hostileText, { maxKeys: 3 }),
  count: fc.integer(),
  threshold: fc.integer(),
  window_seconds: fc.integer(),
  started_at: fc.constant('2026-06-01T12:00:00.000Z'),
  ended_at: fc.option(fc.constant('2026-06-01T12:05:00.000Z'), { nil: null }),
  event_id: fc.option(hostileText, { nil: null }),
  summary: hostileText,
});

const goodTemplate = fc.constantFrom('[{{STATUS}}] {{rule}}', '{{summary}} ({{count}}/{{threshold}})', ':fire: {{rule}}{{group_tag}}', 'plain words');
const badTemplate = fc.constantFrom<(view: unknown) => string>(
  () => {
    throw new Error('template bug');
  },
  () => undefined as unknown as string,
  () => ({ toString: () => 'object' }) as unknown as string,
  () => 'y'.repeat(200_000),
  (view) => (view as { nope: { deeper: string } }).nope.deeper,
);

describe('channel templates', () => {
  it('a broken template for one channel leaves every other channel’s messages as they were, and hostile values render everywhere', () => {
    let renders = 0;
    fc.assert(
      fc.property(
        notification,
        fc.constantFrom(...CHANNEL_NAMES),
        fc.dictionary(fc.constantFrom<ChannelName | 'default'>(...CHANNEL_NAMES, 'default'), goodTemplate, { maxKeys: 3 }),
        badTemplate,
        (n, brokenChannel, goodTitles, broken) => {
          const good: TemplateOverrides = Object.fromEntries(Object.entries(goodTitles).map(([c, title]) => [c, { firing: { title }, resolved: { title } }]));
          const withBroken: TemplateOverrides = { ...good, [brokenChannel]: { firing: { title: broken, text: broken }, resolved: { title: broken, text: broken } } };
          const clean = createRenderer({ templates: good, logger: silentLogger });
          const dirty = createRenderer({ templates: withBroken, logger: silentLogger });
          for (const channel of CHANNEL_NAMES) {
            for (const format of ['blocks', 'text'] as const) {
              const rendered = dirty.render({ channel, format }, n);
              renders++;
              const json = JSON.stringify(rendered.payload);
              expect(() => JSON.parse(json)).not.toThrow();
              if (channel !== brokenChannel) expect(json).toBe(JSON.stringify(clean.render({ channel, format }, n).payload));
              // Slack reads <…> as links and mentions: a value never brings its own.
              if (channel === 'slack' && n.rule.name.includes('<!channel>')) expect(json).not.toContain('<!channel>');
            }
          }
        },
      ),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    console.info(`[hardening] channel templates: ${RUNS} cases, ${renders} renders over ${CHANNEL_NAMES.length} channels × 2 formats`);
  });
});
