// @ts-check
import { describeError, el, fmtNumber, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').AuditStats} AuditStats */

/** The audit trail's counts: requests served, those refused (401/403), and the busiest routes. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'requests',
  title: 'Requests',
  view: 'overview',
  requires: ['GET /audit/stats'],
  followsEvents: false,
  mount(section, { api }) {
    const f = frame(section, 'Requests');
    const total = el('p', { class: 'big', 'data-stat': 'total_requests' }, '–');
    const denied = el('span', { 'data-stat': 'denied' }, '–');
    const top = el('ol', { class: 'top-paths' });
    f.body.append(total, el('p', { class: 'muted' }, denied, ' refused (401/403)'), top);
    return {
      async refresh() {
        try {
          /** @type {AuditStats} */
          const audit = await api.get('/audit/stats');
          total.textContent = fmtNumber(audit.total_requests);
          denied.textContent = fmtNumber(audit.denied_401_unauthorized + audit.denied_403_forbidden);
          top.replaceChildren(...Object.entries(audit.by_path).slice(0, 5).map(([path, n]) => el('li', {}, el('code', {}, path), el('span', { class: 'muted' }, fmtNumber(n)))));
          f.state('ready');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
