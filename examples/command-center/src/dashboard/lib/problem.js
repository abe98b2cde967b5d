// @ts-check
import { el } from './dom.js';

/**
 * Marks the fields of `form` a 400 problem+json named (`errors[].field`, e.g. `threshold` or `rule.threshold`)
 * with the server's message beside each; clears the marks left from before. Answers the messages of fields the
 * form has no input for.
 * @param {HTMLFormElement} form
 * @param {unknown} error
 * @returns {string[]}
 * @example showFieldErrors(form, error)
 */
export function showFieldErrors(form, error) {
  clearFieldErrors(form);
  const problem = /** @type {{ problem?: import('./types.js').Problem | null }} */ (error).problem;
  /** @type {string[]} */
  const rest = [];
  for (const e of problem?.errors ?? []) {
    const name = e.field.replace(/^rule\./, '').replace(/\[\d+\]$/, '');
    const input = form.elements.namedItem(name);
    if (input instanceof HTMLElement) {
      input.setAttribute('aria-invalid', 'true');
      input.closest('label')?.append(el('span', { class: 'field-error', 'data-field-error': name }, e.message));
    } else {
      rest.push(`${e.field} ${e.message}`);
    }
  }
  return rest;
}

/** @param {HTMLFormElement} form */
export function clearFieldErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}
