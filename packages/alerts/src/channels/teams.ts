import type { Channel } from './types.js';
import { cut, factsOf } from './types.js';

/**
 * Microsoft Teams (incoming webhooks and Workflows): a message carrying one Adaptive Card with the title, the
 * text and the facts.
 * @example teamsChannel.render({ notification, view, title, text, format: 'blocks', source })
 */
export const teamsChannel: Channel = {
  name: 'teams',
  escape: (value) => value,
  render({ notification: n, title, text }) {
    return {
      payload: {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                { type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, color: n.status === 'firing' ? 'Attention' : 'Good', text: cut(title, 500) },
                { type: 'TextBlock', wrap: true, text: cut(text, 10_000) },
                { type: 'FactSet', facts: factsOf(n).map(([title, value]) => ({ title, value })) },
              ],
            },
          },
        ],
      },
    };
  },
};
