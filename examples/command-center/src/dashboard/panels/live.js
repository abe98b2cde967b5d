// @ts-check
import { describeError, el, fmtTime, frame, sevChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').PublicEvent} PublicEvent */
/** @typedef {import('../lib/types.js').EventPage} EventPage */

const KEEP = 50;
const FILTERS = [
  ['', 'All'],
  ['info', 'Info'],
  ['warning', 'Warnings'],
  ['error', 'Errors'],
  ['critical', 'Critical'],
];
const STATUS_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', denied: 'not allowed', closed: 'closed' };

/**
 * The live stream with severity filter buttons: a filter shows the latest matching events at once (from
 * /events/recent), then keeps the ones that arrive.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'live',
  title: 'Live',
  view: 'overview',
  requires: ['GET /events/stream', 'GET /events/recent'],
  mount(section, { api, live, openDrawer }) {
    const f = frame(section, 'Live');
    let severity = '';
    const status = el('span', { class: 'pill', 'data-live-status': '' }, 'connecting…');
    const buttons = FILTERS.map(([value, label]) =>
      el('button', { type: 'button', class: 'toggle', 'data-filter': value, 'aria-pressed': String(value === severity), onclick: () => choose(value ?? '') }, label),
    );
    f.tools.append(status, el('div', { class: 'segmented', role: 'group', 'aria-label': 'Severity' }, ...buttons));
    const feed = el('ol', { class: 'feed', 'aria-live': 'polite' });
    f.body.append(feed);

    /** Events on the list, newest first. @type {PublicEvent[]} */
    let shown = [];
    /** Arrived since the last backfill began, newest first, so a slow backfill loses none. @type {PublicEvent[]} */
    let arrived = [];
    const matches = (/** @type {PublicEvent} */ e) => !severity || e.severity === severity;

    const item = (/** @type {PublicEvent} */ e) =>
      el('li', { 'data-id': e.id, 'data-severity': e.severity, tabindex: 0, onclick: () => open(e), onkeydown: (ev) => /** @type {KeyboardEvent} */ (ev).key === 'Enter' && open(e) },
        sevChip(e.severity),
        el('span', { class: 'what' }, el('b', {}, e.type), ' ', el('span', { class: 'muted' }, e.source)),
        el('time', { class: 'muted', datetime: e.time }, fmtTime(e.time)),
      );
    const open = (/** @type {PublicEvent} */ e) =>
      openDrawer({ title: e.type, facts: [['id', e.id], ['source', e.source], ['severity', e.severity], ['time', e.time], ['received', e.received_at], ['tenant', e.tenantid], ['subject', e.subject]], json: e });
    const render = () => {
      feed.replaceChildren(...shown.map(item));
      f.state(shown.length ? 'ready' : 'empty', severity ? `No ${severity} events yet. New ones appear here as they arrive.` : 'No events yet. New ones appear here as they arrive.');
    };

    const off = live.subscribe((e) => {
      arrived = [e, ...arrived].slice(0, KEEP);
      if (!matches(e) || shown.some((s) => s.id === e.id)) return;
      shown = [e, ...shown].slice(0, KEEP);
      render();
    });
    const offStatus = live.onStatus((s, detail) => {
      status.textContent = STATUS_TEXT[s];
      status.className = `pill ${s === 'live' ? 'ok' : s === 'denied' ? 'bad' : ''}`;
      if (s === 'denied' && detail) f.state('error', detail);
    });

    let request = 0;
    const backfill = async () => {
      const mine = ++request;
      arrived = [];
      try {
        /** @type {EventPage} */
        const page = await api.get(`/events/recent?limit=${KEEP}${severity ? `&severity=${severity}` : ''}`);
        if (mine !== request) return;
        const fresh = arrived.filter(matches);
        const ids = new Set(fresh.map((e) => e.id));
        shown = [...fresh, ...page.events.filter((e) => !ids.has(e.id))].slice(0, KEEP);
        render();
      } catch (error) {
        if (mine === request) f.state('error', describeError(error));
      }
    };
    const choose = (/** @type {string} */ value) => {
      severity = value;
      section.dataset.filter = value;
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.filter === value));
      shown = shown.filter(matches);
      render();
      void backfill();
    };
    return { refresh: backfill, dispose: () => (off(), offStatus()) };
  },
});
