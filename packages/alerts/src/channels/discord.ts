import type { Channel } from './types.js';
import { cut, factsOf } from './types.js';

const COLOR = { firing: 0xd93f0b, resolved: 0x2ea44f };

/**
 * Discord webhooks: one embed (title, description, facts as inline fields, coloured by status); mentions in the
 * text never ping anyone.
 * @example discordChannel.render({ notification, view, title, text, format: 'blocks', source })
 */
export const discordChannel: Channel = {
  name: 'discord',
  escape: (value) => value,
  render({ notification: n, title, text }) {
    return {
      payload: {
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: cut(title, 256),
            description: cut(text, 4096),
            color: COLOR[n.status],
            fields: factsOf(n).slice(0, 25).map(([name, value]) => ({ name: cut(name, 256), value: cut(value, 1024), inline: true })),
            timestamp: n.ended_at ?? n.started_at,
            footer: { text: cut(`rule ${n.rule.id}`, 2048) },
          },
        ],
      },
    };
  },
};
