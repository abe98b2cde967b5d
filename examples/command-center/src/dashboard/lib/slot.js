// @ts-check
import { describeError, el, frame } from './dom.js';

/**
 * @typedef {object} SlotOptions
 * @property {string} id
 * @property {string} title
 * @property {'overview' | 'events' | 'autoheal' | 'alerts'} view
 * @property {string[]} requires
 * @property {string} source What serves those routes.
 * @property {string} [read] A GET path (no parameters) whose answer the slot shows until its own view lands.
 * @property {string} empty What the panel says when there is nothing to show.
 * @property {'wide' | 'full'} [size]
 */

/**
 * A panel whose data comes from a module this server does not have yet (auto-heal, alerts): it shows where the
 * data will come from while the routes are missing, and once they are served, their answer as JSON with the
 * same loading, empty and error states as every panel, until its own view replaces it.
 * @param {SlotOptions} options
 * @returns {import('./types.js').PanelDefinition}
 * @example export default slotPanel({ id: 'autoheal-stats', title: 'Auto-heal', view: 'autoheal', requires: ['GET /autoheal/stats'], source: '@aetherlink/autoheal', read: '/autoheal/stats', empty: 'No healing yet.' })
 */
export function slotPanel(options) {
  return {
    id: options.id,
    title: options.title,
    view: options.view,
    requires: options.requires,
    source: options.source,
    ...(options.size ? { size: options.size } : {}),
    mount(section, { api }) {
      const f = frame(section, options.title);
      const raw = el('pre', { class: 'raw' });
      f.body.append(raw);
      return {
        async refresh() {
          if (!options.read) return f.state('empty', options.empty);
          try {
            const answer = await api.get(options.read);
            const nothing = answer === null || (Array.isArray(answer) && answer.length === 0) || (typeof answer === 'object' && Object.keys(answer).length === 0);
            raw.textContent = JSON.stringify(answer, null, 2);
            f.state(nothing ? 'empty' : 'ready', options.empty);
          } catch (error) {
            f.state('error', describeError(error));
          }
        },
      };
    },
  };
}
