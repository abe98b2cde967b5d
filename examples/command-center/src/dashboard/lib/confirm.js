// @ts-check
import { el } from './dom.js';

/**
 * @typedef {object} ConfirmOptions
 * @property {string} title
 * @property {string} message
 * @property {string} confirm The confirming button's label ("Replay 12 deliveries").
 * @property {boolean} [danger] Styles the confirming button as destructive.
 */

/**
 * Asks before an action in a modal dialog (not `window.confirm`, which blocks the page and cannot be styled);
 * resolves true when confirmed, false when cancelled or dismissed with Escape.
 * @param {ConfirmOptions} options
 * @returns {Promise<boolean>}
 * @example if (await confirmAction({ title: 'Replay', message: 'Replay 3 deliveries?', confirm: 'Replay 3' })) go()
 */
export function confirmAction({ title, message, confirm, danger = false }) {
  const yes = el('button', { type: 'submit', value: 'yes', class: danger ? 'danger' : 'primary', 'data-confirm': 'yes' }, confirm);
  const no = el('button', { type: 'submit', value: 'no', 'data-confirm': 'no' }, 'Cancel');
  const dialog = el('dialog', { class: 'confirm', 'aria-label': title },
    el('form', { method: 'dialog' }, el('h2', {}, title), el('p', {}, message), el('div', { class: 'buttons' }, no, yes)),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    dialog.showModal();
    no.focus();
  });
}
