// @ts-check
import { el } from './dom.js';

/**
 * The tenant the operator is looking at ('' for every tenant), chosen once for the panels that can narrow to one.
 * @typedef {object} Scope
 * @property {() => string} tenant
 * @property {(tenants: Iterable<string | null | undefined>) => void} learn Offers these tenants in the picker.
 */

const KEY = 'aetherlink.tenant';

/**
 * Renders the tenant picker into `root`; `onChange` runs after the tenant changes.
 * @param {HTMLElement} root
 * @param {() => void} onChange
 * @returns {Scope}
 * @example const scope = createScope(byId('scope'), () => ctx.changed('tenant'))
 */
export function createScope(root, onChange) {
  let tenant = sessionStorage.getItem(KEY) ?? '';
  const known = new Set(tenant ? [tenant] : []);
  const options = el('datalist', { id: 'tenants' });
  const input = el('input', { id: 'tenant', name: 'tenant', list: 'tenants', placeholder: 'all tenants', size: 10, autocomplete: 'off', 'aria-label': 'Tenant', title: 'Narrows alert rules, templates, deliveries and event history to one tenant', value: tenant });
  const set = () => {
    const next = input.value.trim();
    if (next === tenant) return;
    tenant = next;
    if (tenant) sessionStorage.setItem(KEY, tenant);
    else sessionStorage.removeItem(KEY);
    onChange();
  };
  input.addEventListener('change', set);
  input.addEventListener('keydown', (ev) => ev.key === 'Enter' && set());
  root.replaceChildren(input, options);
  return {
    tenant: () => tenant,
    learn(tenants) {
      let grew = false;
      for (const t of tenants) if (t && !known.has(t)) (known.add(t), (grew = true));
      if (grew) options.replaceChildren(...[...known].sort().map((t) => el('option', { value: t })));
    },
  };
}
