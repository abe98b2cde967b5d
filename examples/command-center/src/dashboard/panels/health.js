// @ts-check
import { describeError, el, fmtAgo, fmtMs, frame, healthChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').HealthReport} HealthReport */
/** @typedef {import('../lib/types.js').ServiceList} ServiceList */
/** @typedef {import('../lib/types.js').ServiceView} ServiceView */

const MAINTENANCE = 'PUT /ops/services/{name}/maintenance';

/**
 * Aggregate health (worst first) and every registered service with its last probe; operators may put a service
 * into maintenance and take it out.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'health',
  title: 'Services',
  view: 'overview',
  size: 'wide',
  requires: ['GET /ops/health', 'GET /ops/services'],
  mount(section, { api, may, toast }) {
    const f = frame(section, 'Services');
    const overall = el('span', { 'data-overall': '' });
    const count = el('span', { class: 'muted' });
    f.tools.append(overall, count);
    const operate = may(MAINTENANCE);
    const rows = el('tbody');
    f.body.append(
      el('div', { class: 'scroll' },
        el('table', { class: 'grid' },
          el('thead', {}, el('tr', {}, ...['service', 'status', 'latency', 'version', 'tags', 'checked', 'error', ...(operate ? [''] : [])].map((h) => el('th', {}, h)))),
          rows,
        ),
      ),
    );

    /**
     * @param {ServiceView | undefined} meta
     * @param {boolean} enabled
     */
    const maintenance = async (meta, enabled) => {
      if (!meta) return;
      try {
        await api.send('PUT', `/ops/services/${encodeURIComponent(meta.name)}/maintenance`, { enabled });
        toast(`${meta.name} ${enabled ? 'is in maintenance' : 'left maintenance'}.`);
      } catch (error) {
        toast(`${meta.name}: ${describeError(error)}`);
      }
      await refresh();
    };

    const refresh = async () => {
      try {
        /** @type {[HealthReport, ServiceList]} */
        const [health, list] = await Promise.all([api.get('/ops/health'), api.get('/ops/services')]);
        const byName = new Map(list.services.map((s) => [s.name, s]));
        overall.replaceChildren(healthChip(health.status));
        count.textContent = `${health.services.length} registered`;
        rows.replaceChildren(
          ...health.services.map((s) => {
            const meta = byName.get(s.name);
            const inMaintenance = s.status === 'maintenance';
            return el('tr', { 'data-service': s.name },
              el('td', { title: meta?.url ?? '' }, s.name),
              el('td', {}, healthChip(s.status)),
              el('td', {}, fmtMs(s.latency_ms)),
              el('td', {}, meta?.version ?? '–'),
              el('td', {}, ...(meta?.tags ?? []).map((t) => el('span', { class: 'tag' }, t))),
              el('td', { title: s.checked_at ?? '' }, fmtAgo(s.checked_at)),
              el('td', { class: 'muted error-text', title: s.error ?? '' }, s.error ?? ''),
              operate
                ? el('td', {},
                    el('button', { type: 'button', class: 'small', 'data-action': 'maintenance', onclick: () => void maintenance(meta, !inMaintenance) }, inMaintenance ? 'End maintenance' : 'Maintenance'),
                  )
                : null,
            );
          }),
        );
        f.state(health.services.length ? 'ready' : 'empty', 'No services are registered. Services register with POST /ops/register.');
      } catch (error) {
        f.state('error', describeError(error));
      }
    };
    return { refresh };
  },
});
