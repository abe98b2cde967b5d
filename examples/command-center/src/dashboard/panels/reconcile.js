// @ts-check
import { describeError, el, frame, healthChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').HealStatus} HealStatus */
/** @typedef {import('../lib/types.js').ServiceList} ServiceList */

/**
 * Registered services beside the ones auto-heal monitors: a service registered and not monitored (auto-heal does
 * not pull from the registry) or monitored and not registered (configured by AUTOHEAL_SERVICES only) stands out.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'reconcile',
  title: 'Registered vs monitored',
  view: 'autoheal',
  size: 'wide',
  requires: ['GET /ops/services', 'GET /autoheal/status'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  follows: ['autoheal', 'services'],
  mount(section, { api }) {
    const f = frame(section, 'Registered vs monitored');
    const tally = el('span', { class: 'muted', 'data-tally': '' });
    f.tools.append(tally);
    const rows = el('tbody');
    f.body.append(
      el('div', { class: 'scroll' },
        el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...['service', 'registered', 'monitored', 'engine state', 'verdict'].map((h) => el('th', {}, h)))), rows),
      ),
    );
    return {
      async refresh() {
        try {
          /** @type {[ServiceList, HealStatus]} */
          const [registered, monitored] = await Promise.all([api.get('/ops/services'), api.get('/autoheal/status')]);
          const reg = new Map(registered.services.map((s) => [s.name, s]));
          const mon = new Map(monitored.services.map((s) => [s.name, s]));
          const names = [...new Set([...reg.keys(), ...mon.keys()])].sort();
          let gaps = 0;
          rows.replaceChildren(
            ...names.map((name) => {
              const r = reg.get(name);
              const m = mon.get(name);
              const verdict = r && m ? 'both' : r ? 'registered, not monitored' : 'monitored, not registered';
              if (verdict !== 'both') gaps++;
              return el('tr', { 'data-reconcile': name, 'data-verdict': r && m ? 'both' : r ? 'registered-only' : 'monitored-only' },
                el('td', {}, name),
                el('td', {}, r ? healthChip(r.status) : el('span', { class: 'muted' }, 'no')),
                el('td', {}, m ? `yes (${m.source === 'both' ? 'configured and registry' : m.source})` : el('span', { class: 'muted' }, 'no')),
                el('td', {}, m ? el('span', { class: `estate ${m.state}` }, m.state) : '–'),
                el('td', { class: verdict === 'both' ? '' : 'warn-text' }, verdict === 'both' ? '✓ in step' : verdict),
              );
            }),
          );
          tally.textContent = `${registered.services.length} registered · ${monitored.services.length} monitored${gaps ? ` · ${gaps} out of step` : ''}`;
          f.state(names.length ? 'ready' : 'empty', 'No services are registered or monitored.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
