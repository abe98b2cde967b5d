// @ts-check
// DOM helpers: nodes are built with createElement and text nodes only (the page's CSP allows no inline script,
// and nothing here ever parses HTML), and every panel shows its state the same way.

/** @typedef {import('./types.js').Severity} Severity */

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Record<string, string | number | boolean | EventListener | undefined | null>} Attrs */

/**
 * An element with attributes (`on…` become listeners; false, null and undefined are left out) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 * @example el('button', { type: 'button', onclick: () => go() }, 'Go')
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element, as `el` builds HTML ones.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 * @example svg('rect', { x: 0, y: 0, width: 10, height: 10 })
 */
export function svg(tag, attrs = {}, ...children) {
  const node = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/**
 * @param {Element} node
 * @param {Attrs} attrs
 */
function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.setAttribute('class', String(value));
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

/**
 * @param {Element} node
 * @param {Child[]} children
 */
function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * The one element with this id; throws when the page lacks it (a broken page, not a state to render).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

export const SEVERITIES = /** @type {const} */ (['info', 'warning', 'error', 'critical']);

/** @param {Severity} s */
export const sevChip = (s) => el('span', { class: `sev ${s}` }, s);

/** @param {string} s */
export const healthChip = (s) => el('span', { class: `health ${s}`, 'data-health': s }, s);

/** @param {number} n */
export const fmtNumber = (n) => n.toLocaleString('en-US');

/** @param {string | null | undefined} iso */
export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '–');

/** @param {string | null | undefined} iso */
export const fmtDateTime = (iso) => (iso ? new Date(iso).toLocaleString([], { hour12: false }) : '–');

/**
 * How long ago, in the largest unit that fits.
 * @param {string | null | undefined} iso
 * @param {number} [now]
 */
export function fmtAgo(iso, now = Date.now()) {
  if (!iso) return '–';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** @param {number | null | undefined} ms */
export const fmtMs = (ms) => (ms === null || ms === undefined ? '–' : `${Math.round(ms)} ms`);

/**
 * A duration in the unit that reads best: ms under a second, seconds under 90 s, then minutes.
 * @param {number | null | undefined} ms
 * @example fmtDuration(40_000) // '40 s'
 */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 90_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * A state a panel is in, shown the same way everywhere: loading, ready, empty (nothing to show), error (the
 * server said no or is away), denied (the role may not see it: nothing was asked), unavailable (this server has
 * no such routes), signed-out.
 * @typedef {'loading' | 'ready' | 'empty' | 'error' | 'denied' | 'unavailable' | 'signed-out'} PanelState
 */

/**
 * @typedef {object} Frame
 * @property {HTMLElement} tools Where a panel puts its controls, beside its title.
 * @property {HTMLElement} body Where its content goes; hidden unless the state is `ready`.
 * @property {(state: PanelState, message?: string) => void} state
 */

/**
 * Fills a panel's section with its title, a tools slot, a state line and a body.
 * @param {HTMLElement} section
 * @param {string} title
 * @returns {Frame}
 * @example const f = frame(section, 'Services'); f.state('loading', 'Loading services…')
 */
export function frame(section, title) {
  const tools = el('div', { class: 'tools' });
  const line = el('p', { class: 'state', role: 'status' });
  const body = el('div', { class: 'body' });
  section.replaceChildren(el('header', {}, el('h2', {}, title), tools), line, body);
  /** @type {Frame['state']} */
  const state = (kind, message = '') => {
    section.dataset.state = kind;
    line.textContent = message;
    line.hidden = kind === 'ready';
    line.className = `state ${kind}`;
    body.hidden = kind !== 'ready';
  };
  state('loading', 'Loading…');
  return { tools, body, state };
}

/**
 * A failed request said plainly: `401 …` and `403 …` name what to do about it.
 * @param {unknown} error
 * @returns {string}
 */
export function describeError(error) {
  const status = /** @type {{ status?: number }} */ (error)?.status;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 401) return `401 Unauthorized: ${message}. Sign in again.`;
  if (status === 403) return `403 Forbidden: ${message}`;
  if (status) return `${status}: ${message}`;
  return `The server did not answer (${message}).`;
}
