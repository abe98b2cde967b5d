// @ts-check
import { drawSeries } from '../lib/chart.js';
import { describeError, el, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').EventStats} EventStats */

const WINDOWS = [
  ['15m', '15 min'],
  ['1h', '1 hour'],
  ['24h', '24 hours'],
];

/** Events per minute by severity over a chosen window, counted by the server's bucketed stats query. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'chart',
  title: 'Events per minute',
  view: 'overview',
  size: 'wide',
  requires: ['GET /events/stats'],
  followsEvents: true,
  mount(section, { api }) {
    const f = frame(section, 'Events per minute');
    let span = '1h';
    /** @type {import('../lib/types.js').EventSeries | undefined} */
    let last;
    const buttons = WINDOWS.map(([value, label]) =>
      el('button', { type: 'button', class: 'toggle', 'data-window': value, 'aria-pressed': String(value === span), onclick: () => choose(value ?? '1h') }, label),
    );
    f.tools.append(el('div', { class: 'segmented', role: 'group', 'aria-label': 'Window' }, ...buttons));
    const box = el('div', { class: 'chart-box' });
    f.body.append(box);

    let request = 0;
    const refresh = async () => {
      const mine = ++request;
      try {
        /** @type {EventStats} */
        const stats = await api.get(`/events/stats?bucket=1m&since=${span}`);
        if (mine !== request || !stats.series) return;
        last = stats.series;
        section.dataset.window = span;
        f.state('ready');
        drawSeries(box, stats.series);
      } catch (error) {
        if (mine === request) f.state('error', describeError(error));
      }
    };
    const choose = (/** @type {string} */ value) => {
      span = value;
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.window === value));
      void refresh();
    };
    // The chart is drawn to its box's width: redraw when that changes (a narrower window, a rotated phone).
    let width = 0;
    const resize = new ResizeObserver(() => {
      if (!last || box.clientWidth === width) return;
      width = box.clientWidth;
      drawSeries(box, last);
    });
    resize.observe(box);
    return { refresh, dispose: () => resize.disconnect() };
  },
});
