// @ts-check
import { describeError, el, fmtDateTime, fmtDuration, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').HealHistory} HealHistory */
/** @typedef {import('../lib/types.js').HealRecord} HealRecord */

const LIMIT = 50;

/** The healing timeline: restarts and recorded skips, newest first, each opening in the drawer. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'autoheal-timeline',
  title: 'Healing timeline',
  view: 'autoheal',
  size: 'full',
  requires: ['GET /autoheal/history'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  followsEvents: true,
  follows: ['autoheal'],
  mount(section, { api, openDrawer }) {
    const f = frame(section, 'Healing timeline');
    const total = el('span', { class: 'muted' });
    f.tools.append(total);
    const list = el('ol', { class: 'timeline' });
    f.body.append(list);
    const open = (/** @type {HealRecord} */ r) =>
      openDrawer({
        kind: 'heal',
        title: `${r.service}: ${r.action} ${r.outcome}`,
        facts: [
          ['time', fmtDateTime(r.ts)], ['outcome', r.outcome], ['reason', r.reason.replaceAll('_', ' ')], ['message', r.message],
          ['attempt', r.attempt === null ? null : String(r.attempt)], ['waited', r.delay_ms === null ? null : fmtDuration(r.delay_ms)],
          ['detected', r.detected_at ? fmtDateTime(r.detected_at) : null], ['took', r.duration_ms === null ? null : fmtDuration(r.duration_ms)],
          ['probe', r.probe ? `${r.probe.check}: ${r.probe.error ?? r.probe.status_code ?? 'ok'}` : null], ['error', r.error],
        ],
        json: r,
      });
    return {
      async refresh() {
        try {
          /** @type {HealHistory} */
          const h = await api.get(`/autoheal/history?limit=${LIMIT}`);
          list.replaceChildren(
            ...h.history.map((r) =>
              el('li', { class: `heal ${r.outcome}`, 'data-heal': r.id, 'data-outcome': r.outcome, tabindex: 0, onclick: () => open(r), onkeydown: (ev) => /** @type {KeyboardEvent} */ (ev).key === 'Enter' && open(r) },
                el('time', { datetime: r.ts, class: 'muted' }, fmtDateTime(r.ts)),
                el('span', { class: `outcome ${r.outcome === 'succeeded' ? 'ok' : r.outcome === 'failed' ? 'failed' : 'skipped'}` }, r.outcome),
                el('b', {}, r.service),
                el('span', { class: 'what' }, `${r.action} · ${r.reason.replaceAll('_', ' ')}: ${r.message}`),
                el('span', { class: 'muted' }, r.duration_ms === null ? '' : fmtDuration(r.duration_ms)),
              ),
            ),
          );
          total.textContent = h.total_in_history > h.history.length ? `latest ${h.history.length} of ${h.total_in_history}` : '';
          f.state(h.history.length ? 'ready' : 'empty', 'No healing yet: no service has needed a restart.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
