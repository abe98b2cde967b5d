// @ts-check
import { describeError, el, fmtNumber, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').DeliveryStats} DeliveryStats */
/** @typedef {import('../lib/types.js').DeliveryStatus} DeliveryStatus */

/** The statuses in the order an operator reads them: what is waiting, then what ended. */
export const STATUS_LABEL = /** @type {Record<DeliveryStatus, string>} */ ({
  pending: 'pending',
  delivering: 'delivering',
  retrying: 'retrying',
  delivered: 'delivered',
  dead_letter: 'dead letter',
  cancelled: 'cancelled',
});

/** @param {number} s */
const fmtAge = (s) => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`);

/** The delivery queue: its depth, how long the oldest due delivery has waited, and deliveries by status. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'delivery-queue',
  title: 'Delivery queue',
  view: 'alerts',
  requires: ['GET /alerts/deliveries/stats'],
  source: 'the alerts module (@aetherlink/alerts)',
  follows: ['deliveries', 'endpoints'],
  mount(section, { api }) {
    const f = frame(section, 'Delivery queue');
    const depth = el('p', { class: 'big', 'data-stat': 'queue_depth' }, '–');
    const waited = el('p', { class: 'big', 'data-stat': 'oldest_due_age' }, '–');
    const statuses = el('div', { class: 'status-grid' });
    const endpoints = el('p', { class: 'muted', 'data-stat': 'endpoints' });
    f.body.append(
      el('div', { class: 'figures' },
        el('div', {}, depth, el('p', { class: 'muted' }, 'waiting to be delivered')),
        el('div', {}, waited, el('p', { class: 'muted' }, 'oldest due has waited')),
      ),
      statuses,
      endpoints,
    );
    return {
      async refresh() {
        try {
          /** @type {DeliveryStats} */
          const stats = await api.get('/alerts/deliveries/stats');
          depth.textContent = fmtNumber(stats.queue_depth);
          waited.textContent = stats.due ? fmtAge(stats.oldest_due_age_seconds) : '–';
          statuses.replaceChildren(
            ...Object.entries(STATUS_LABEL).map(([status, label]) =>
              el('div', { class: 'status-cell', 'data-status': status },
                el('span', { class: `dstatus ${status}` }, label),
                el('b', { class: 'count' }, fmtNumber(stats.by_status[/** @type {DeliveryStatus} */ (status)] ?? 0)),
              ),
            ),
          );
          endpoints.textContent = `${stats.endpoints.enabled} of ${stats.endpoints.total} endpoints enabled${stats.endpoints.disabled ? `, ${stats.endpoints.disabled} disabled` : ''}`;
          f.state(stats.total === 0 ? 'empty' : 'ready', 'No deliveries yet: alerts that fire are delivered to the endpoints below.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
