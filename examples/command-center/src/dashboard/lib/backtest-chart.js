// @ts-check
import { el, svg } from './dom.js';

/** @typedef {import('./types.js').BacktestResult} BacktestResult */
/** @typedef {import('./types.js').BacktestEpisode} BacktestEpisode */

const LANE = 26;
const MAX_LANES = 8;
const PAD = { top: 6, right: 10, bottom: 22, left: 10 };

/** @param {Record<string, string>} group */
const groupName = (group) => Object.entries(group).map(([k, v]) => `${k}=${v}`).join(', ') || 'all events';

/** @param {number} ms @param {number} span */
const tick = (ms, span) =>
  new Date(ms).toLocaleString([], span > 2 * 86_400_000 ? { month: 'short', day: 'numeric', hour: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * Draws when a rule would have fired over a past range: one lane per alert group, pending as a pale bar and
 * firing as a solid one up to its resolution (or the range's end), on a time axis; the episodes are also a
 * visually hidden table for screen readers.
 * @param {HTMLElement} host
 * @param {BacktestResult} result
 * @example drawBacktest(box, await api.send('POST', '/alerts/rules/preview', { rule_id, from, to }))
 */
export function drawBacktest(host, result) {
  const from = Date.parse(result.from);
  const to = Date.parse(result.to);
  const span = Math.max(1, to - from);
  /** @type {Map<string, BacktestEpisode[]>} */
  const lanes = new Map();
  for (const e of result.episodes) {
    const key = groupName(e.group);
    lanes.set(key, [...(lanes.get(key) ?? []), e]);
  }
  const names = [...lanes.keys()].slice(0, MAX_LANES);
  const width = Math.max(320, Math.round(host.clientWidth || 640));
  const plotW = width - PAD.left - PAD.right;
  const height = PAD.top + Math.max(1, names.length) * LANE + PAD.bottom;
  const x = (/** @type {number} */ ms) => PAD.left + ((Math.min(to, Math.max(from, ms)) - from) / span) * plotW;

  const bars = names.flatMap((name, lane) => {
    const y = PAD.top + lane * LANE + 3;
    return [
      svg('line', { class: 'grid-line', x1: PAD.left, x2: width - PAD.right, y1: y + LANE - 3, y2: y + LANE - 3 }),
      svg('text', { class: 'lane-label', x: PAD.left + 4, y: y + 12 }, name),
      ...(lanes.get(name) ?? []).flatMap((e) => {
        const p0 = x(Date.parse(e.pending_at));
        const f0 = x(Date.parse(e.firing_at));
        const f1 = x(e.resolved_at ? Date.parse(e.resolved_at) : to);
        return [
          svg('rect', { class: 'pending', x: p0, y: y + 13, width: Math.max(1, f0 - p0), height: 6 }),
          svg('rect', { class: 'firing', 'data-firing-at': e.firing_at, x: f0, y: y + 12, width: Math.max(3, f1 - f0), height: 8, rx: 1 }, svg('title', {}, `${name}: firing ${new Date(e.firing_at).toLocaleString()} → ${e.resolved_at ? new Date(e.resolved_at).toLocaleString() : 'still firing'}, peak ${e.peak_count}`)),
        ];
      }),
    ];
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) =>
    svg('text', { class: 'axis', x: PAD.left + t * plotW, y: height - 6, 'text-anchor': t === 0 ? 'start' : t === 1 ? 'end' : 'middle' }, tick(from + t * span, span)),
  );
  const chart = svg('svg', { class: 'chart backtest', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `When the rule would have fired between ${new Date(from).toLocaleString()} and ${new Date(to).toLocaleString()}`, 'data-episodes': result.episodes_total }, ...bars, ...ticks);
  const more = lanes.size > MAX_LANES ? el('p', { class: 'muted' }, `and ${lanes.size - MAX_LANES} more groups`) : null;
  const table = el('table', {},
    el('caption', {}, 'Episodes: when each group would have fired'),
    el('thead', {}, el('tr', {}, ...['group', 'pending', 'firing', 'resolved', 'peak'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...result.episodes.map((e) => el('tr', { 'data-episode': '' }, el('th', {}, groupName(e.group)), el('td', {}, e.pending_at), el('td', {}, e.firing_at), el('td', {}, e.resolved_at ?? 'still firing'), el('td', {}, e.peak_count)))),
  );
  host.replaceChildren(chart, ...(more ? [more] : []), el('div', { class: 'sr-only' }, table));
}
