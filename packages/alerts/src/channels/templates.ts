import { AetherError } from '@aetherlink/core';
import type { AlertNotification } from '../notification.js';

/** What a message template may use, as `{{name}}`. Values are escaped for the channel when they are put in. */
export interface MessageView {
  status: 'firing' | 'resolved';
  /** FIRING or RESOLVED. */
  STATUS: string;
  rule: string;
  rule_id: string;
  severity: string;
  /** The rule's tenant, or "global". */
  tenant: string;
  /** The group labels, "source=billing, region=eu"; empty when the rule is not grouped. */
  group: string;
  /** ":12" (the matching events) when the alert is grouped, else empty: counts go in grouped titles. */
  count_tag: string;
  /** " (source=billing)" when grouped, else empty. */
  group_tag: string;
  count: string;
  threshold: string;
  window_seconds: string;
  summary: string;
  started_at: string;
  /** When it resolved; empty while firing. */
  ended_at: string;
  episode_id: string;
  event_id: string;
}

/** A template's text: `{{name}}` placeholders over a MessageView, or a function of it. */
export type TemplateText = string | ((view: MessageView) => string);

export interface MessageTemplate {
  title: TemplateText;
  text: TemplateText;
}

/** Templates for one channel (or every channel, as `default`), for firing and resolved messages. */
export type TemplateOverrides = Partial<Record<string, { firing?: Partial<MessageTemplate>; resolved?: Partial<MessageTemplate> }>>;

/** The built-in messages; an app overrides any part of them per channel or for all (`default`). */
export const DEFAULT_TEMPLATES: Readonly<Record<'firing' | 'resolved', MessageTemplate>> = {
  firing: { title: '[FIRING{{count_tag}}] {{rule}}{{group_tag}}', text: '{{summary}}' },
  resolved: { title: '[RESOLVED] {{rule}}{{group_tag}}', text: '{{rule}} resolved at {{ended_at}} (firing since {{started_at}}).' },
};

const VIEW_KEYS = new Set<string>([
  'status', 'STATUS', 'rule', 'rule_id', 'severity', 'tenant', 'group', 'count_tag', 'group_tag', 'count', 'threshold', 'window_seconds', 'summary',
  'started_at', 'ended_at', 'episode_id', 'event_id',
]);
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** A template ready to render: values escaped by `escape`. */
export type CompiledTemplate = (view: MessageView, escape: (value: string) => string) => string;

/**
 * Compiles a template; a placeholder that names nothing is `config_invalid` naming `field`, at start-up rather
 * than at the first alert.
 * @example const title = compileTemplate('[{{STATUS}}] {{rule}}', 'templates.slack.firing.title')
 */
export function compileTemplate(template: TemplateText, field: string): CompiledTemplate {
  if (typeof template === 'function') return (view) => String(template(view));
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!VIEW_KEYS.has(name!)) {
      throw new AetherError('config_invalid', `${field}: {{${name}}} is not something a message template can use (${[...VIEW_KEYS].join(', ')})`, {
        errors: [{ field, message: `{{${name}}} is unknown` }],
      });
    }
  }
  return (view, escape) => template.replace(PLACEHOLDER, (_, name: string) => escape(view[name as keyof MessageView]));
}

/**
 * The view of a notification that templates render.
 * @example viewOf(notification).title
 */
export function viewOf(n: AlertNotification): MessageView {
  const group = Object.entries(n.group)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return {
    status: n.status,
    STATUS: n.status.toUpperCase(),
    rule: n.rule.name,
    rule_id: n.rule.id,
    severity: n.rule.severity,
    tenant: n.rule.tenant ?? 'global',
    group,
    count_tag: group ? `:${n.count}` : '',
    group_tag: group ? ` (${group})` : '',
    count: String(n.count),
    threshold: String(n.threshold),
    window_seconds: String(n.window_seconds),
    summary: n.summary,
    started_at: n.started_at,
    ended_at: n.ended_at ?? '',
    episode_id: n.episode_id,
    event_id: n.event_id ?? '',
  };
}
