import type { Channel } from './types.js';

const API_PATH = '/api/v2/alerts';
// Prometheus label names: letters, digits and underscores, not starting with a digit.
const labelName = (key: string) => {
  const name = key.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
};

/**
 * Alertmanager's API (`POST /api/v2/alerts`): the alert with its rule, severity and group as labels, title and
 * text as annotations; a resolved alert carries `endsAt`, so Alertmanager resolves it too.
 * @example alertmanagerChannel.target!(new URL('http://am:9093')) // 'http://am:9093/api/v2/alerts'
 */
export const alertmanagerChannel: Channel = {
  name: 'alertmanager',
  escape: (value) => value,
  target(url) {
    if (url.pathname.replace(/\/+$/, '').endsWith(API_PATH)) return url.href;
    const copy = new URL(url.href);
    copy.pathname = `${url.pathname.replace(/\/+$/, '')}${API_PATH}`;
    return copy.href;
  },
  render({ notification: n, title, text }) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(n.group)) labels[labelName(k)] = v;
    Object.assign(labels, { alertname: n.rule.name, severity: n.rule.severity, rule_id: n.rule.id }, n.rule.tenant ? { tenant: n.rule.tenant } : {});
    return {
      payload: [
        {
          labels,
          annotations: { summary: title, description: text, episode_id: n.episode_id },
          startsAt: n.started_at,
          ...(n.ended_at ? { endsAt: n.ended_at } : {}),
        },
      ],
    };
  },
};
