// @ts-check
import { describeError, el, fmtNumber, frame, SEVERITIES, sevChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').EventStats} EventStats */

/** Event counts: stored in total, in the last 24 h, and by severity. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'stats',
  title: 'Events',
  view: 'overview',
  requires: ['GET /events/stats'],
  followsEvents: true,
  mount(section, { api }) {
    const f = frame(section, 'Events');
    const total = el('p', { class: 'big', 'data-stat': 'total' }, '–');
    const day = el('p', { class: 'big', 'data-stat': 'last_24h' }, '–');
    const bars = el('div', { class: 'sev-bars' });
    f.body.append(
      el('div', { class: 'figures' },
        el('div', {}, total, el('p', { class: 'muted' }, 'stored in total')),
        el('div', {}, day, el('p', { class: 'muted' }, 'in the last 24 h')),
      ),
      bars,
    );
    return {
      async refresh() {
        try {
          /** @type {EventStats} */
          const stats = await api.get('/events/stats');
          total.textContent = fmtNumber(stats.total);
          day.textContent = fmtNumber(stats.last_24h);
          const max = Math.max(1, ...SEVERITIES.map((s) => stats.by_severity[s]));
          bars.replaceChildren(
            ...SEVERITIES.map((s) =>
              el('div', { class: 'sev-row', 'data-severity': s },
                sevChip(s),
                el('div', { class: 'sev-track' }, el('div', { class: `sev-fill ${s}`, style: `width:${(100 * stats.by_severity[s]) / max}%` })),
                el('span', { class: 'count' }, fmtNumber(stats.by_severity[s])),
              ),
            ),
          );
          f.state(stats.total === 0 ? 'empty' : 'ready', 'No events stored yet.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
