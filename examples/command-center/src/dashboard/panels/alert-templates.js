// @ts-check
import { describeError, el, frame, sevChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').TemplateList} TemplateList */
/** @typedef {import('../lib/types.js').AlertTemplate} AlertTemplate */

const MATERIALIZE = 'POST /alerts/templates/{id}/materialize';

/** What a template's rule counts, in a line. @param {AlertTemplate['rule']} r */
const summary = (r) =>
  `${r.threshold}× ${r.event_type ?? 'any event'} in ${r.window_seconds / 60 >= 1 ? `${r.window_seconds / 60} min` : `${r.window_seconds} s`}${r.group_by.length ? ` per ${r.group_by.join(', ')}` : ''}`;

/** Rule templates (global, and the chosen tenant's), each made into a real rule with one click. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'alert-templates',
  title: 'Alert templates',
  view: 'alerts',
  requires: ['GET /alerts/templates'],
  source: 'the alerts module (@aetherlink/alerts)',
  follows: ['tenant'],
  mount(section, ctx) {
    const { api, may, scope, toast } = ctx;
    const f = frame(section, 'Alert templates');
    const operate = may(MATERIALIZE);
    const list = el('ul', { class: 'templates' });
    f.body.append(list);

    const materialize = async (/** @type {AlertTemplate} */ t, /** @type {HTMLButtonElement} */ button) => {
      button.disabled = true;
      try {
        const tenant = scope.tenant();
        /** @type {{ id: string, name: string }} */
        const rule = await api.send('POST', `/alerts/templates/${encodeURIComponent(t.id)}/materialize`, t.tenant === null && tenant ? { tenant } : {});
        toast(`Rule “${rule.name}” created from ${t.name}.`, 'info');
        ctx.changed('rules');
      } catch (error) {
        toast(`${t.name}: ${describeError(error)}`);
      } finally {
        button.disabled = false;
      }
    };
    return {
      async refresh() {
        try {
          const tenant = scope.tenant();
          /** @type {TemplateList} */
          const answer = await api.get(`/alerts/templates${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`);
          list.replaceChildren(
            ...answer.templates.map((t) => {
              const button = el('button', { type: 'button', class: 'small primary', 'data-action': 'materialize', title: `Create a rule from ${t.name}` }, 'Use');
              button.addEventListener('click', () => void materialize(t, button));
              return el('li', { 'data-template': t.id },
                el('div', { class: 'what' },
                  el('b', {}, t.name), ' ', sevChip(t.rule.severity), t.tenant ? el('span', { class: 'tag' }, t.tenant) : null,
                  el('p', { class: 'muted', title: t.description }, summary(t.rule)),
                ),
                operate ? button : null,
              );
            }),
          );
          f.state(answer.count ? 'ready' : 'empty', 'No alert templates.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
