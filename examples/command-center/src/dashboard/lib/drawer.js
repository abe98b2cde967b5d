// @ts-check
import { byId, el } from './dom.js';

/**
 * What the detail drawer shows: facts (empty ones left out), then a panel's own sections and actions, then the
 * raw JSON with a copy button.
 * @typedef {object} DrawerContent
 * @property {string} title
 * @property {[string, string | number | Node | undefined | null][]} facts
 * @property {unknown} json
 * @property {Node[]} [sections] Shown below the facts (a table of attempts).
 * @property {Node[]} [actions] Buttons below the title (retry).
 * @property {string} [kind] Set as the drawer's `data-kind`, so a test or a style can tell what it shows.
 */

/** The element focused before the drawer opened, to return to when it closes. @type {Element | null} */
let before = null;

/**
 * Opens the detail drawer (or replaces what it shows while open).
 * @param {DrawerContent} content
 * @example openDrawer({ title: e.type, facts: [['id', e.id]], json: e })
 */
export function openDrawer({ title, facts, json, sections = [], actions = [], kind = '' }) {
  const drawer = byId('drawer');
  const opening = drawer.hidden;
  if (opening) before = document.activeElement;
  drawer.dataset.kind = kind;
  byId('drawer-title').textContent = title;
  byId('drawer-facts').replaceChildren(
    ...facts
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-fact': k }, v instanceof Node ? v : String(v))]),
  );
  byId('drawer-actions').replaceChildren(...actions);
  byId('drawer-actions').hidden = actions.length === 0;
  byId('drawer-sections').replaceChildren(...sections);
  byId('drawer-json').textContent = JSON.stringify(json, null, 2);
  drawer.hidden = false;
  byId('overlay').hidden = false;
  if (opening) byId('drawer-close').focus();
}

/** Closes the drawer and gives the focus back to where it was. */
export function closeDrawer() {
  const drawer = byId('drawer');
  if (drawer.hidden) return;
  drawer.hidden = true;
  byId('overlay').hidden = true;
  if (before instanceof HTMLElement && before.isConnected) before.focus();
  before = null;
}

/** True while the drawer shows something of this kind (a panel refreshing it after an action). */
export const drawerShows = (/** @type {string} */ kind) => !byId('drawer').hidden && byId('drawer').dataset.kind === kind;

/**
 * Wires the drawer's close button, overlay, Escape and copy button; `toast` reports the copy.
 * @param {(message: string, kind?: 'error' | 'info') => void} toast
 */
export function wireDrawer(toast) {
  byId('drawer-close').addEventListener('click', closeDrawer);
  byId('overlay').addEventListener('click', closeDrawer);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !document.querySelector('dialog[open]')) closeDrawer();
  });
  byId('drawer-copy').addEventListener('click', () => {
    const text = byId('drawer-json').textContent ?? '';
    const copied = navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject(new Error('no clipboard'));
    copied.then(
      () => toast('Copied the raw JSON.', 'info'),
      () => {
        // Without clipboard access (plain http on another host), select the text so the operator can copy it.
        const range = document.createRange();
        range.selectNodeContents(byId('drawer-json'));
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
        toast('The browser refused to copy: the JSON is selected, press Ctrl+C.');
      },
    );
  });
}
