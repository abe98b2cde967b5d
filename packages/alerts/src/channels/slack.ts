import type { Channel } from './types.js';
import { cut, factsOf } from './types.js';

// Slack's mrkdwn treats only &, < and > as control characters (https://api.slack.com/reference/surfaces/formatting).
const escape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Slack incoming webhooks: Block Kit (a header, the text, the facts, a context line) with `text` as the
 * notification fallback, or plain `text` alone.
 * @example slackChannel.render({ notification, view, title, text, format: 'blocks', source })
 */
export const slackChannel: Channel = {
  name: 'slack',
  escape,
  render({ notification: n, title, text, format }) {
    const fallback = cut(`${title}\n${text}`, 3000);
    if (format === 'text') return { payload: { text: cut(`*${title}*\n${text}`, 40_000) } };
    const fields = factsOf(n).slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: cut(`*${label}*\n${escape(value)}`, 2000) }));
    return {
      payload: {
        text: fallback,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: cut(title, 150), emoji: true } },
          { type: 'section', text: { type: 'mrkdwn', text: cut(text || ' ', 3000) } },
          { type: 'section', fields },
          { type: 'context', elements: [{ type: 'mrkdwn', text: cut(`rule \`${escape(n.rule.id)}\` · episode \`${escape(n.episode_id)}\``, 3000) }] },
        ],
      },
    };
  },
};
