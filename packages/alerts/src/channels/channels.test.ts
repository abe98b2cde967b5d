import { isAetherError } from '@aetherlink/core';
import { memoryLogger } from '@aetherlink/core/testing';
import { describe, expect, it } from 'vitest';
import { makeNotification } from '../_testing/notifications.js';
import { createRenderer, parseWebhookTarget, redactUrl } from './index.js';

const grouped = makeNotification({ group: { source: 'billing', region: 'eu' }, count: 12 });
const resolved = makeNotification({ status: 'resolved', ended_at: '2026-01-01T00:20:00.000Z' });

describe('parseWebhookTarget', () => {
  it('picks the channel from the host, or from an explicit prefix', () => {
    expect(parseWebhookTarget('https://hooks.slack.com/services/T0/B0/x')).toEqual({ channel: 'slack', format: 'blocks', url: 'https://hooks.slack.com/services/T0/B0/x' });
    expect(parseWebhookTarget('https://acme.webhook.office.com/webhookb2/abc').channel).toBe('teams');
    expect(parseWebhookTarget('https://outlook.office.com/webhook/abc').channel).toBe('teams');
    expect(parseWebhookTarget('https://discord.com/api/webhooks/1/tok').channel).toBe('discord');
    expect(parseWebhookTarget('https://discord.com/channels/1').channel).toBe('webhook');
    expect(parseWebhookTarget('https://example.com/hook').channel).toBe('webhook');
    expect(parseWebhookTarget('slack+https://chat.internal/hook')).toEqual({ channel: 'slack', format: 'blocks', url: 'https://chat.internal/hook' });
    expect(parseWebhookTarget('slack-text+https://hooks.slack.com/services/x').format).toBe('text');
    expect(parseWebhookTarget('alertmanager+http://am:9093')).toEqual({ channel: 'alertmanager', format: 'blocks', url: 'http://am:9093/api/v2/alerts' });
    expect(parseWebhookTarget('alertmanager+http://am:9093/prefix/api/v2/alerts').url).toBe('http://am:9093/prefix/api/v2/alerts');
    expect(parseWebhookTarget('https://example.com/x', 'url', 'discord').channel).toBe('discord');
  });

  it('names the field, never repeating the URL', () => {
    const refusal = (entry: string) => {
      try {
        parseWebhookTarget(entry, 'ALERT_WEBHOOKS[2]');
      } catch (error) {
        return isAetherError(error) ? error : undefined;
      }
      return undefined;
    };
    expect(refusal('pager+https://x.example/secret-token')!.errors).toEqual([{ field: 'ALERT_WEBHOOKS[2]', message: expect.stringMatching(/unknown channel "pager"/) }]);
    expect(refusal('ftp://x.example/secret-token')!.message).toMatch(/http or https/);
    expect(refusal('not a url secret-token')!.message).not.toContain('secret-token');
    expect(refusal('https://user:pw@x.example/hook')!.message).toMatch(/credentials/);
  });

  it('shows URLs cut to host and first path segment', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/secret')).toBe('https://hooks.slack.com/services/…');
    expect(redactUrl('http://127.0.0.1:9000/hook')).toBe('http://127.0.0.1:9000/hook');
    expect(redactUrl('http://h.example/hook?token=abc')).toBe('http://h.example/hook/…');
  });
});

describe('channels', () => {
  const renderer = createRenderer();
  it('Slack: Block Kit with the count in the title when grouped, and plain text as a format', () => {
    const blocks = renderer.render({ channel: 'slack', format: 'blocks' }, grouped).payload as { text: string; blocks: { type: string; text?: { text: string } }[] };
    expect(blocks.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(blocks.blocks[0]!.text!.text).toBe('[FIRING:12] billing-errors (source=billing, region=eu)');
    expect(blocks.text).toContain('billing-errors: 12 matching events in 300 s (threshold 5)');
    expect(renderer.render({ channel: 'slack', format: 'text' }, makeNotification()).payload).toEqual({ text: '*[FIRING] billing-errors*\nbilling-errors: 12 matching events in 300 s (threshold 5)' });
    expect((renderer.render({ channel: 'slack', format: 'text' }, resolved).payload as { text: string }).text).toMatch(/^\*\[RESOLVED\] billing-errors\*\nbilling-errors resolved at 2026-01-01T00:20:00.000Z/);
  });

  it('Teams: an Adaptive Card; Discord: an embed that mentions nobody', () => {
    const teams = renderer.render({ channel: 'teams', format: 'blocks' }, grouped).payload as { type: string; attachments: { contentType: string; content: { body: { text?: string; facts?: unknown[] }[] } }[] };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]!.content.body[0]!.text).toBe('[FIRING:12] billing-errors (source=billing, region=eu)');
    expect(teams.attachments[0]!.content.body[2]!.facts).toContainEqual({ title: 'Group', value: 'source=billing, region=eu' });
    const discord = renderer.render({ channel: 'discord', format: 'blocks' }, resolved).payload as { allowed_mentions: unknown; embeds: { title: string; color: number; timestamp: string }[] };
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.embeds[0]).toMatchObject({ title: '[RESOLVED] billing-errors', color: 0x2ea44f, timestamp: '2026-01-01T00:20:00.000Z' });
  });

  it('generic JSON: the alert as a CloudEvent; Alertmanager: labels, annotations, endsAt when resolved', () => {
    const event = renderer.render({ channel: 'webhook', format: 'blocks' }, makeNotification({ rule: { id: 'r-1', name: 'billing-errors', severity: 'error', tenant: 'acme' } }));
    expect(event.contentType).toBe('application/cloudevents+json');
    expect(event.payload).toMatchObject({ specversion: '1.0', id: 'evt-1', source: 'aetherlink/alerts', type: 'ops.alert.raised', severity: 'error', tenantid: 'acme', data: { title: '[FIRING] billing-errors', count: 12 } });
    const [am] = renderer.render({ channel: 'alertmanager', format: 'blocks' }, { ...resolved, group: { 'data.host': 'web-1' } }).payload as Record<string, unknown>[];
    expect(am).toEqual({
      labels: { data_host: 'web-1', alertname: 'billing-errors', severity: 'critical', rule_id: 'r-1' },
      annotations: { summary: '[RESOLVED] billing-errors (data.host=web-1)', description: expect.stringContaining('resolved'), episode_id: resolved.episode_id },
      startsAt: resolved.started_at,
      endsAt: resolved.ended_at,
    });
  });

  it("takes an app's templates, escaping values for the channel; a broken one falls back for that message only", () => {
    const { logger, lines } = memoryLogger();
    const custom = createRenderer({
      logger,
      templates: {
        default: { firing: { title: ':rotating_light: {{STATUS}} {{rule}} ({{severity}})' } },
        slack: { firing: { text: 'Rule {{rule}} <{{group}}>' } },
        discord: {
          firing: {
            title: () => {
              throw new Error('template bug');
            },
          },
        },
      },
    });
    const n = makeNotification({ rule: { id: 'r-1', name: 'a<b>&c', severity: 'warning', tenant: null }, group: { k: 'v' } });
    const slack = custom.render({ channel: 'slack', format: 'text' }, n).payload as { text: string };
    expect(slack.text).toBe('*:rotating_light: FIRING a&lt;b&gt;&amp;c (warning)*\nRule a&lt;b&gt;&amp;c <k=v>');
    const discord = custom.render({ channel: 'discord', format: 'blocks' }, n).payload as { embeds: { title: string }[] };
    expect(discord.embeds[0]!.title).toBe('[FIRING:12] a<b>&c (k=v)');
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['the discord firing title template failed; the built-in one was used']);
    const teams = custom.render({ channel: 'teams', format: 'blocks' }, n).payload as { attachments: { content: { body: { text: string }[] } }[] };
    expect(teams.attachments[0]!.content.body[0]!.text).toBe(':rotating_light: FIRING a<b>&c (warning)');
  });

  it('refuses a template naming something unknown at start-up, naming it', () => {
    expect(() => createRenderer({ templates: { teams: { resolved: { text: '{{rule}} {{nope}}' } } } })).toThrow(/templates\.teams\.resolved\.text: \{\{nope\}\} is not something/);
    expect(() => createRenderer({ templates: { pager: {} } })).toThrow(/templates\.pager: not a channel/);
  });
});
