// @ts-check
import { el, SEVERITIES } from './dom.js';

/**
 * The form for a new alert rule: what it matches (event type, source), when it fires (threshold in a window,
 * for how long), how alerts are grouped, and whose it is (tenant).
 * @param {{ tenant: string, onPreview: () => void, onSubmit: () => void, onCancel: () => void }} options
 * @returns {{ form: HTMLFormElement, values: () => Record<string, unknown> }}
 * @example const { form, values } = ruleForm({ tenant: '', onPreview, onSubmit, onCancel })
 */
export function ruleForm({ tenant, onPreview, onSubmit, onCancel }) {
  /**
   * @param {string} label
   * @param {HTMLElement} input
   * @param {string} [hint]
   */
  const field = (label, input, hint) => el('label', { class: 'field' }, el('span', {}, label), input, hint ? el('small', { class: 'muted' }, hint) : null);
  const form = el('form', { class: 'rule-form', 'data-form': 'rule', novalidate: true },
    field('Name', el('input', { name: 'name', required: true, maxlength: 200, placeholder: 'checkout-errors' })),
    field('Event type', el('input', { name: 'event_type', placeholder: 'api.request.failed or autoheal.*' }), 'empty: every type'),
    field('Source', el('input', { name: 'source', placeholder: 'any source' })),
    field('Severity', el('select', { name: 'severity' }, ...SEVERITIES.map((s) => el('option', { value: s, selected: s === 'error' }, s)))),
    field('Threshold', el('input', { name: 'threshold', type: 'number', min: 1, step: 1, value: 5 }), 'events in the window'),
    field('Window (s)', el('input', { name: 'window_seconds', type: 'number', min: 1, step: 1, value: 300 })),
    field('For (s)', el('input', { name: 'for_seconds', type: 'number', min: 0, step: 1, value: 0 }), 'over threshold this long before firing'),
    field('Group by', el('input', { name: 'group_by', placeholder: 'source, data.service' }), 'comma-separated'),
    field('Tenant', el('input', { name: 'tenant', value: tenant, placeholder: 'every tenant' })),
    el('div', { class: 'buttons' },
      el('button', { type: 'button', 'data-action': 'preview-draft', onclick: onPreview }, 'Preview'),
      el('button', { type: 'button', onclick: onCancel }, 'Cancel'),
      el('button', { type: 'submit', class: 'primary', 'data-action': 'create-rule' }, 'Create rule'),
    ),
  );
  form.addEventListener('submit', (ev) => (ev.preventDefault(), onSubmit()));
  const text = (/** @type {string} */ name) => {
    const v = /** @type {HTMLInputElement} */ (form.elements.namedItem(name)).value.trim();
    return v === '' ? null : v;
  };
  // Numbers go as typed: a blank or a fraction reaches the server, whose answer names the field.
  const number = (/** @type {string} */ name) => {
    const v = text(name);
    return v === null ? undefined : Number(v);
  };
  return {
    form,
    values: () => ({
      name: text('name') ?? '',
      event_type: text('event_type'),
      source: text('source'),
      severity: text('severity') ?? 'error',
      threshold: number('threshold'),
      window_seconds: number('window_seconds'),
      for_seconds: number('for_seconds') ?? 0,
      group_by: (text('group_by') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      tenant: text('tenant'),
    }),
  };
}
