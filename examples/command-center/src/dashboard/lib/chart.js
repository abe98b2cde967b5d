// @ts-check
import { el, SEVERITIES, svg } from './dom.js';

/** @typedef {import('./types.js').EventSeries} EventSeries */
/** @typedef {import('./types.js').SeriesBucket} SeriesBucket */
/** @typedef {import('./types.js').Severity} Severity */

const HEIGHT = 180;
const PAD = { top: 10, right: 8, bottom: 22, left: 34 };
/** Stacked from the baseline up: the most severe stays visible at the bottom however tall the rest is. */
const STACK = /** @type {Severity[]} */ (['critical', 'error', 'warning', 'info']);

/** @param {string} iso */
const hhmm = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });

/** @param {SeriesBucket} b */
const totalOf = (b) => b.info + b.warning + b.error + b.critical;

/**
 * A round step for about `ticks` gridlines up to `max`: 1, 2 or 5 × a power of ten.
 * @param {number} max
 * @param {number} ticks
 */
function niceStep(max, ticks) {
  const raw = Math.max(1, max / ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}

/**
 * Draws a series as stacked columns by severity in plain SVG (one path per severity, whatever the number of
 * buckets), with time and count axes, a hover readout, a legend, and the non-empty buckets as a visually hidden
 * table for screen readers.
 * @param {HTMLElement} host
 * @param {EventSeries} series
 * @example drawSeries(box, (await api.get('/events/stats?bucket=1m&since=1h')).series)
 */
export function drawSeries(host, series) {
  const width = Math.max(320, Math.round(host.clientWidth || 800));
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const n = series.buckets.length;
  const slot = plotW / Math.max(1, n);
  const gap = slot >= 4 ? Math.min(2, slot * 0.2) : 0;
  const max = Math.max(1, ...series.buckets.map(totalOf));
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const y = (/** @type {number} */ v) => PAD.top + plotH - (v / top) * plotH;

  /** @type {Record<Severity, string>} */
  const paths = { info: '', warning: '', error: '', critical: '' };
  series.buckets.forEach((b, i) => {
    let base = 0;
    const x = PAD.left + i * slot + gap / 2;
    for (const s of STACK) {
      if (b[s] === 0) continue;
      const y0 = y(base);
      const y1 = y(base + b[s]);
      paths[s] += `M${x.toFixed(2)} ${y1.toFixed(2)}h${(slot - gap).toFixed(2)}V${y0.toFixed(2)}H${x.toFixed(2)}Z`;
      base += b[s];
    }
  });

  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(svg('line', { class: 'grid-line', x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }));
    grid.push(svg('text', { class: 'axis', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, v));
  }
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 70))));
  const labels = [];
  for (let i = 0; i < n; i += every) {
    labels.push(svg('text', { class: 'axis', x: PAD.left + (i + 0.5) * slot, y: HEIGHT - 6, 'text-anchor': 'middle' }, hhmm(series.buckets[i]?.start ?? series.since)));
  }

  const readout = el('div', { class: 'readout', hidden: true });
  const cursor = svg('rect', { class: 'cursor', x: 0, y: PAD.top, width: slot, height: plotH, visibility: 'hidden' });
  const hit = svg('rect', { class: 'hit', x: PAD.left, y: PAD.top, width: plotW, height: plotH, fill: 'transparent' });
  hit.addEventListener('pointermove', (ev) => {
    const box = hit.getBoundingClientRect();
    const i = Math.min(n - 1, Math.max(0, Math.floor(((ev.clientX - box.left) / box.width) * n)));
    const b = series.buckets[i];
    if (!b) return;
    cursor.setAttribute('x', String(PAD.left + i * slot));
    cursor.setAttribute('visibility', 'visible');
    const counts = SEVERITIES.filter((s) => b[s] > 0).map((s) => `${b[s]} ${s}`);
    readout.textContent = `${hhmm(b.start)} · ${counts.length ? counts.join(', ') : 'no events'}`;
    readout.hidden = false;
  });
  hit.addEventListener('pointerleave', () => {
    cursor.setAttribute('visibility', 'hidden');
    readout.hidden = true;
  });

  const chart = svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, role: 'img', 'aria-label': `Events per ${series.bucket} by severity since ${hhmm(series.since)}`, 'data-buckets': n },
    ...grid,
    cursor,
    ...STACK.map((s) => svg('path', { class: `bars ${s}`, 'data-severity': s, d: paths[s] })),
    ...labels,
    hit,
  );

  const sums = Object.fromEntries(SEVERITIES.map((s) => [s, series.buckets.reduce((t, b) => t + b[s], 0)]));
  const legend = el('div', { class: 'legend' }, ...SEVERITIES.map((s) => el('span', { class: 'key', 'data-severity': s }, el('i', { class: `swatch ${s}` }), `${s} ${sums[s]}`)));
  // Visually hidden in a box: a table grows to its rows whatever height it is given.
  const table = el(
    'table',
    { 'data-chart-table': '' },
    el('caption', {}, `Events per ${series.bucket} by severity (buckets with events)`),
    el('thead', {}, el('tr', {}, el('th', {}, 'from'), ...SEVERITIES.map((s) => el('th', {}, s)))),
    el('tbody', {}, ...series.buckets.filter((b) => totalOf(b) > 0).map((b) => el('tr', { 'data-start': b.start }, el('th', {}, hhmm(b.start)), ...SEVERITIES.map((s) => el('td', { 'data-severity': s }, b[s]))))),
  );
  host.replaceChildren(chart, readout, legend, el('div', { class: 'sr-only' }, table));
}
