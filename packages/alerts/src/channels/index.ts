import { AetherError, errorFields, loggerFor, type Logger } from '@aetherlink/core';
import type { AlertNotification } from '../notification.js';
import { alertmanagerChannel } from './alertmanager.js';
import { discordChannel } from './discord.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import { compileTemplate, DEFAULT_TEMPLATES, viewOf, type CompiledTemplate, type TemplateOverrides } from './templates.js';
import { CHANNEL_NAMES, type Channel, type ChannelName, type RenderedMessage } from './types.js';
import { webhookChannel } from './webhook.js';

/** Every channel by name. */
export const CHANNELS: Readonly<Record<ChannelName, Channel>> = {
  slack: slackChannel,
  teams: teamsChannel,
  discord: discordChannel,
  webhook: webhookChannel,
  alertmanager: alertmanagerChannel,
};

/** Where deliveries for one configured URL go, and how they are rendered. */
export interface WebhookTarget {
  channel: ChannelName;
  format: 'blocks' | 'text';
  /** The URL deliveries are POSTed to. */
  url: string;
}

const PREFIXES: Record<string, { channel: ChannelName; format?: 'text' }> = {
  slack: { channel: 'slack' },
  'slack-text': { channel: 'slack', format: 'text' },
  teams: { channel: 'teams' },
  discord: { channel: 'discord' },
  webhook: { channel: 'webhook' },
  json: { channel: 'webhook' },
  alertmanager: { channel: 'alertmanager' },
};

const invalid = (field: string, message: string) => new AetherError('validation_failed', `${field} ${message}`, { errors: [{ field, message }] });

function channelOfHost(url: URL): ChannelName {
  const host = url.hostname.toLowerCase();
  if (host === 'hooks.slack.com') return 'slack';
  if (host.endsWith('.webhook.office.com') || (host === 'outlook.office.com' && url.pathname.startsWith('/webhook'))) return 'teams';
  if (/^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/.test(host) && url.pathname.startsWith('/api/webhooks/')) return 'discord';
  return 'webhook';
}

/**
 * Reads one webhook as written in `ALERT_WEBHOOKS` or given to the API: an http(s) URL whose host picks the channel
 * (hooks.slack.com, *.webhook.office.com, discord.com/api/webhooks; anything else is generic JSON), or the channel
 * named as a prefix: `slack+https://…`, `slack-text+https://…`, `teams+`, `discord+`, `webhook+`, `alertmanager+http://am:9093`.
 * Throws `validation_failed` naming `field`; the message never repeats the URL (it may hold a token).
 * @example parseWebhookTarget('alertmanager+http://am:9093') // { channel: 'alertmanager', format: 'blocks', url: 'http://am:9093/api/v2/alerts' }
 */
export function parseWebhookTarget(entry: string, field = 'url', channel?: ChannelName): WebhookTarget {
  const text = entry.trim();
  const prefixed = /^([a-z][a-z-]*)\+(.*)$/i.exec(text);
  const named = prefixed ? PREFIXES[prefixed[1]!.toLowerCase()] : undefined;
  if (prefixed && !named) throw invalid(field, `names an unknown channel "${prefixed[1]}" (use ${Object.keys(PREFIXES).join(', ')})`);
  let url: URL;
  try {
    url = new URL(prefixed ? prefixed[2]! : text);
  } catch {
    throw invalid(field, 'must be an http(s) URL, optionally prefixed by a channel (slack+https://…)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, 'must be an http or https URL');
  if (url.username || url.password) throw invalid(field, 'must not carry credentials (user:password@)');
  url.hash = '';
  const picked = channel ?? named?.channel ?? channelOfHost(url);
  const target = CHANNELS[picked].target?.(url) ?? url.href;
  return { channel: picked, format: named?.format ?? 'blocks', url: target };
}

/**
 * A URL as routes and logs show it: scheme, host and first path segment only, since webhook URLs usually carry
 * their token in the path or the query.
 * @example redactUrl('https://hooks.slack.com/services/T0/B0/secret') // 'https://hooks.slack.com/services/…'
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const [first, ...rest] = u.pathname.split('/').filter(Boolean);
    return `${u.protocol}//${u.host}${first ? `/${first}` : ''}${rest.length || u.search ? '/…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

export interface RendererOptions {
  templates?: TemplateOverrides;
  /** CloudEvents `source` of the generic channel. Default `aetherlink/alerts`. */
  source?: string;
  logger?: Logger;
}

/** Renders notifications for an endpoint's channel. */
export interface Renderer {
  render(target: { channel: ChannelName; format: 'blocks' | 'text' }, notification: AlertNotification): RenderedMessage;
}

/**
 * Compiles the message templates (built-in, overridden per channel or for all as `default`) and renders with
 * them. A placeholder naming nothing fails here, at start-up; a template function that throws falls back to the
 * built-in message for that one render, so one broken template never breaks another channel's messages.
 * @example createRenderer({ templates: { slack: { firing: { title: ':fire: {{rule}}' } } } }).render({ channel: 'slack', format: 'blocks' }, n)
 */
export function createRenderer(options: RendererOptions = {}): Renderer {
  const log = loggerFor(options.logger, 'alerts');
  const source = options.source ?? 'aetherlink/alerts';
  for (const key of Object.keys(options.templates ?? {})) {
    if (key !== 'default' && !(CHANNEL_NAMES as readonly string[]).includes(key)) {
      throw new AetherError('config_invalid', `templates.${key}: not a channel (use default, ${CHANNEL_NAMES.join(', ')})`, { errors: [{ field: `templates.${key}`, message: 'is not a channel' }] });
    }
  }
  const builtIn = {
    firing: { title: compileTemplate(DEFAULT_TEMPLATES.firing.title, 'firing.title'), text: compileTemplate(DEFAULT_TEMPLATES.firing.text, 'firing.text') },
    resolved: { title: compileTemplate(DEFAULT_TEMPLATES.resolved.title, 'resolved.title'), text: compileTemplate(DEFAULT_TEMPLATES.resolved.text, 'resolved.text') },
  };
  const compiled = new Map<string, CompiledTemplate>();
  for (const channel of CHANNEL_NAMES) {
    for (const status of ['firing', 'resolved'] as const) {
      for (const part of ['title', 'text'] as const) {
        const own = options.templates?.[channel]?.[status]?.[part];
        const all = options.templates?.default?.[status]?.[part];
        const template = own ?? all;
        const where = own !== undefined ? channel : 'default';
        if (template !== undefined) compiled.set(`${channel}.${status}.${part}`, compileTemplate(template, `templates.${where}.${status}.${part}`));
      }
    }
  }
  return {
    render(target, n) {
      const channel = CHANNELS[target.channel];
      const view = viewOf(n);
      const part = (name: 'title' | 'text') => {
        const custom = compiled.get(`${target.channel}.${n.status}.${name}`);
        if (custom) {
          try {
            return custom(view, channel.escape);
          } catch (error) {
            log.warn({ channel: target.channel, template: `${n.status}.${name}`, err: errorFields(error) }, `the ${target.channel} ${n.status} ${name} template failed; the built-in one was used`);
          }
        }
        return builtIn[n.status][name](view, channel.escape);
      };
      return channel.render({ notification: n, view, title: part('title'), text: part('text'), format: target.format, source });
    },
  };
}

export { alertmanagerChannel, discordChannel, slackChannel, teamsChannel, webhookChannel };
export type { Channel, ChannelMessage, ChannelName, RenderedMessage } from './types.js';
export { CHANNEL_NAMES } from './types.js';
