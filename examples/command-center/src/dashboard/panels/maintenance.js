// @ts-check
import { describeError, el, fmtDateTime, frame } from '../lib/dom.js';
import { clearFieldErrors, showFieldErrors } from '../lib/problem.js';

/** @typedef {import('../lib/types.js').WindowList} WindowList */
/** @typedef {import('../lib/types.js').HealWindow} HealWindow */
/** @typedef {import('../lib/types.js').HealStatus} HealStatus */

const SET = 'POST /autoheal/maintenance';
const END = 'DELETE /autoheal/maintenance/{id}';
const DURATIONS = [
  ['900', '15 min'],
  ['3600', '1 hour'],
  ['14400', '4 hours'],
  ['', 'until ended'],
];

/**
 * Maintenance windows (failures expected: no restart) and silences (judged, not acted on), in force or to come;
 * operators set one for a service (or all of them) and end one early.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'maintenance',
  title: 'Maintenance',
  view: 'autoheal',
  requires: ['GET /autoheal/maintenance'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  follows: ['autoheal'],
  mount(section, ctx) {
    const { api, may, toast } = ctx;
    const f = frame(section, 'Maintenance');
    const service = el('select', { name: 'service', 'aria-label': 'Service' }, el('option', { value: '*' }, 'every service'));
    const form = el('form', { class: 'window-form', 'data-form': 'maintenance' },
      el('label', { class: 'field' }, el('span', {}, 'Service'), service),
      el('label', { class: 'field' }, el('span', {}, 'Kind'), el('select', { name: 'kind' }, el('option', { value: 'maintenance' }, 'maintenance (no restarts)'), el('option', { value: 'silence' }, 'silence (judge, do not act)'))),
      el('label', { class: 'field' }, el('span', {}, 'For'), el('select', { name: 'duration_seconds' }, ...DURATIONS.map(([v, l]) => el('option', { value: v, selected: v === '3600' }, l)))),
      el('label', { class: 'field wide' }, el('span', {}, 'Reason'), el('input', { name: 'reason', placeholder: 'deploying 2.5.0', maxlength: 500 })),
      el('div', { class: 'buttons' }, el('button', { type: 'submit', class: 'primary', 'data-action': 'set-window' }, 'Start')),
    );
    const formError = el('p', { class: 'error-text', hidden: true });
    // Offered only to those who may set one.
    if (may(SET)) f.body.before(form, formError);
    const list = el('ul', { class: 'windows' });
    f.body.append(list);

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      formError.hidden = true;
      const data = new FormData(form);
      const duration = String(data.get('duration_seconds') ?? '');
      try {
        /** @type {HealWindow} */
        const w = await api.send('POST', '/autoheal/maintenance', {
          service: String(data.get('service')),
          kind: String(data.get('kind')),
          reason: String(data.get('reason') ?? ''),
          ...(duration ? { duration_seconds: Number(duration) } : {}),
        });
        clearFieldErrors(form);
        /** @type {HTMLInputElement} */ (form.elements.namedItem('reason')).value = '';
        toast(`${w.service === '*' ? 'Every service' : w.service}: ${w.kind} until ${w.ends_at ? fmtDateTime(w.ends_at) : 'ended'}.`, 'info');
        ctx.changed('autoheal');
      } catch (error) {
        const rest = showFieldErrors(form, error);
        formError.textContent = rest.length ? rest.join('; ') : describeError(error);
        formError.hidden = false;
      }
    });
    const end = async (/** @type {HealWindow} */ w) => {
      try {
        await api.send('DELETE', `/autoheal/maintenance/${encodeURIComponent(w.id)}`);
        toast(`${w.service === '*' ? 'Every service' : w.service}: ${w.kind} ended.`, 'info');
      } catch (error) {
        toast(describeError(error));
      }
      ctx.changed('autoheal');
    };

    return {
      async refresh() {
        try {
          /** @type {[WindowList, HealStatus | null]} */
          const [answer, status] = await Promise.all([api.get('/autoheal/maintenance'), may('GET /autoheal/status') ? api.get('/autoheal/status') : Promise.resolve(null)]);
          if (status) {
            const current = service.value;
            service.replaceChildren(el('option', { value: '*' }, 'every service'), ...status.services.map((s) => el('option', { value: s.name }, s.name)));
            if ([...service.options].some((o) => o.value === current)) service.value = current;
          }
          list.replaceChildren(
            ...answer.windows.map((w) =>
              el('li', { 'data-window': w.id, 'data-window-service': w.service, 'data-kind': w.kind, 'data-in-force': String(w.in_force ?? false) },
                el('div', {},
                  el('b', {}, w.service === '*' ? 'every service' : w.service), ' ', el('span', { class: `pill ${w.in_force ? 'ok' : ''}` }, w.in_force ? `${w.kind} now` : `${w.kind} from ${fmtDateTime(w.starts_at)}`),
                  el('p', { class: 'muted' }, `until ${w.ends_at ? fmtDateTime(w.ends_at) : 'ended'} · ${w.by}: ${w.reason}`),
                ),
                may(END) ? el('button', { type: 'button', class: 'small', 'data-action': 'end-window', onclick: () => void end(w) }, 'End') : null,
              ),
            ),
          );
          f.state(answer.windows.length ? 'ready' : 'empty', 'No maintenance windows or silences.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
