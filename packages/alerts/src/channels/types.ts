import type { AlertNotification } from '../notification.js';
import type { MessageView } from './templates.js';

/** The channels deliveries are rendered for. `webhook` is generic JSON: the alert as a CloudEvent. */
export type ChannelName = 'slack' | 'teams' | 'discord' | 'webhook' | 'alertmanager';

export const CHANNEL_NAMES: readonly ChannelName[] = ['slack', 'teams', 'discord', 'webhook', 'alertmanager'];

/** One notification as a channel renders it: the title and text already made from its templates. */
export interface ChannelMessage {
  notification: AlertNotification;
  view: MessageView;
  title: string;
  text: string;
  /** Slack only: Block Kit (default) or plain text. */
  format: 'blocks' | 'text';
  /** CloudEvents `source` of the generic channel. */
  source: string;
}

/** The body a delivery POSTs, and its content type when it is not `application/json`. */
export interface RenderedMessage {
  payload: unknown;
  contentType?: string;
}

/** How one receiver wants alerts: its escaping for template values, its body, and the URL it is posted to. */
export interface Channel {
  readonly name: ChannelName;
  /** Escapes a value put into a template for this channel's markup. */
  escape(value: string): string;
  render(message: ChannelMessage): RenderedMessage;
  /** The URL deliveries go to, from the one configured (Alertmanager's API path). Default: as configured. */
  target?(url: URL): string;
}

/**
 * The facts every rich message shows beside its text, as label/value pairs.
 * @example factsOf(n) // [['Severity', 'critical'], ['Matching events', '12 in 300 s (threshold 5)'], …]
 */
export function factsOf(n: AlertNotification): [string, string][] {
  const facts: [string, string][] = [
    ['Severity', n.rule.severity],
    ['Matching events', `${n.count} in ${n.window_seconds} s (threshold ${n.threshold})`],
  ];
  const group = Object.entries(n.group).map(([k, v]) => `${k}=${v}`).join(', ');
  if (group) facts.push(['Group', group]);
  if (n.rule.tenant) facts.push(['Tenant', n.rule.tenant]);
  facts.push(['Started', n.started_at]);
  if (n.ended_at) facts.push(['Resolved', n.ended_at]);
  return facts;
}

/** Cuts text to `max` characters (code points), ending with "…" when it was longer. */
export const cut = (text: string, max: number) => {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
};
