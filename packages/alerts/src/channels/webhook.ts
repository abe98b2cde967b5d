import type { Channel } from './types.js';

/**
 * Generic JSON: the alert as a structured-mode CloudEvent (`application/cloudevents+json`) of type
 * `ops.alert.raised` or `ops.alert.resolved`, with the notification, title and text as `data`.
 * @example webhookChannel.render({ notification, view, title, text, format: 'blocks', source: 'aetherlink/alerts' })
 */
export const webhookChannel: Channel = {
  name: 'webhook',
  escape: (value) => value,
  render({ notification: n, title, text, source }) {
    return {
      contentType: 'application/cloudevents+json',
      payload: {
        specversion: '1.0',
        id: n.event_id ?? `${n.episode_id}:${n.status}`,
        source,
        type: n.status === 'firing' ? 'ops.alert.raised' : 'ops.alert.resolved',
        time: n.ended_at ?? n.started_at,
        datacontenttype: 'application/json',
        subject: n.rule.name,
        severity: n.rule.severity,
        ...(n.rule.tenant ? { tenantid: n.rule.tenant } : {}),
        data: { ...n, title, text },
      },
    };
  },
};
