// @ts-check
import { describeError, el, fmtDateTime, frame, SEVERITIES, sevChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').PublicEvent} PublicEvent */
/** @typedef {import('../lib/types.js').EventPage} EventPage */

const PAGE = 50;

/** Stored events, newest first, filtered by window, severity and type by the server, paged with its cursor. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'history',
  title: 'Event history',
  view: 'events',
  size: 'full',
  requires: ['GET /events/recent'],
  follows: ['tenant'],
  mount(section, { api, openDrawer, scope }) {
    const f = frame(section, 'Event history');
    const windowSelect = el('select', { name: 'since', 'aria-label': 'Window' },
      el('option', { value: '15m' }, 'last 15 min'),
      el('option', { value: '1h', selected: true }, 'last hour'),
      el('option', { value: '24h' }, 'last 24 h'),
      el('option', { value: '' }, 'all'),
    );
    const severitySelect = el('select', { name: 'severity', 'aria-label': 'Severity' }, el('option', { value: '' }, 'all severities'), ...SEVERITIES.map((s) => el('option', { value: s }, s)));
    const typeInput = el('input', { name: 'type', placeholder: 'type, e.g. autoheal.*', size: 18, 'aria-label': 'Event type' });
    const form = el('form', { class: 'filters', onsubmit: (ev) => (ev.preventDefault(), void load()), onchange: () => void load() },
      windowSelect, severitySelect, typeInput, el('button', { type: 'submit' }, 'Refresh'),
    );
    f.tools.append(form);
    const rows = el('tbody');
    const more = el('button', { type: 'button', hidden: true, onclick: () => void load(true) }, 'Older events');
    f.body.append(
      el('div', { class: 'scroll tall' },
        el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...['time', 'severity', 'type', 'source', 'tenant'].map((h) => el('th', {}, h)))), rows),
      ),
      more,
    );

    /** @type {string | null} */
    let cursor = null;
    /** True once older pages are on the list: the periodic refresh then leaves it alone. */
    let paged = false;
    let request = 0;
    const open = (/** @type {PublicEvent} */ e) =>
      openDrawer({ title: e.type, facts: [['id', e.id], ['source', e.source], ['severity', e.severity], ['time', e.time], ['received', e.received_at], ['tenant', e.tenantid], ['subject', e.subject], ['trace', e.traceparent]], json: e });

    const load = async (older = false) => {
      const mine = ++request;
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (windowSelect.value) q.set('since', windowSelect.value);
      if (severitySelect.value) q.set('severity', severitySelect.value);
      if (typeInput.value.trim()) q.set('event_type', typeInput.value.trim());
      if (scope.tenant()) q.set('tenant_id', scope.tenant());
      if (older && cursor) q.set('cursor', cursor);
      try {
        /** @type {EventPage} */
        const page = await api.get(`/events/recent?${q}`);
        if (mine !== request) return;
        const made = page.events.map((e) =>
          el('tr', { 'data-id': e.id, tabindex: 0, onclick: () => open(e), onkeydown: (ev) => /** @type {KeyboardEvent} */ (ev).key === 'Enter' && open(e) },
            el('td', {}, el('time', { datetime: e.time }, fmtDateTime(e.time))), el('td', {}, sevChip(e.severity)), el('td', {}, e.type), el('td', {}, e.source), el('td', {}, e.tenantid ?? ''),
          ),
        );
        if (older) rows.append(...made);
        else rows.replaceChildren(...made);
        paged = older;
        cursor = page.next_cursor;
        scope.learn(page.events.map((e) => e.tenantid));
        more.hidden = !cursor;
        f.state(rows.children.length ? 'ready' : 'empty', 'No events match these filters.');
      } catch (error) {
        if (mine === request) f.state('error', describeError(error));
      }
    };
    return { refresh: () => (paged ? Promise.resolve() : load()) };
  },
});
