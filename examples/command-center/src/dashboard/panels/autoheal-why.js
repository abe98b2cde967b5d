// @ts-check
import { describeError, el, fmtAgo, fmtDateTime, fmtDuration, fmtMs, frame, healthChip } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').HealStatus} HealStatus */
/** @typedef {import('../lib/types.js').HealService} HealService */

const QUARANTINE = 'PUT /autoheal/services/{name}/quarantine';
const RELEASE = 'DELETE /autoheal/services/{name}/quarantine';

/**
 * Every service auto-heal watches, with its engine state; picking one shows the engine's answer to "why did it
 * (not) act" in its last round: the decision and its reason, the checks, thresholds, backoff, budget, windows and
 * the last heal. Operators quarantine a service or release it from here.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'autoheal-why',
  title: 'Why it did (not) act',
  view: 'autoheal',
  size: 'wide',
  requires: ['GET /autoheal/status', 'GET /autoheal/services/{name}'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  followsEvents: true,
  follows: ['autoheal'],
  mount(section, ctx) {
    const { api, may, toast } = ctx;
    const f = frame(section, 'Why it did (not) act');
    const list = el('ul', { class: 'services', role: 'listbox', 'aria-label': 'Watched services' });
    const detail = el('div', { class: 'why', 'data-why': '' }, el('p', { class: 'muted' }, 'Pick a service.'));
    f.body.append(el('div', { class: 'split' }, list, detail));
    /** @type {string | null} */
    let chosen = null;

    /**
     * @param {string} what
     * @param {() => Promise<unknown>} call
     */
    const act = async (what, call) => {
      try {
        await call();
        toast(what, 'info');
      } catch (error) {
        toast(describeError(error));
      }
      ctx.changed('autoheal');
    };
    const quarantine = async (/** @type {HealService} */ s) => {
      if (!(await ctx.confirm({ title: 'Quarantine', message: `Quarantine ${s.name}? Auto-heal leaves it alone until an operator releases it.`, confirm: 'Quarantine', danger: true }))) return;
      await act(`${s.name} is quarantined.`, () => api.send('PUT', `/autoheal/services/${encodeURIComponent(s.name)}/quarantine`, { reason: 'quarantined from the dashboard' }));
    };
    const release = (/** @type {HealService} */ s) => act(`${s.name} is released: its budget and backoff start over.`, () => api.send('DELETE', `/autoheal/services/${encodeURIComponent(s.name)}/quarantine`));

    /** @param {[string, string | Node | null | undefined][]} rows */
    const facts = (rows) => el('dl', { class: 'facts' }, ...rows.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-why-fact': k }, v ?? '')]));
    const show = (/** @type {HealService} */ s) => {
      const d = s.decision;
      detail.replaceChildren(
        el('header', {},
          el('h3', {}, s.name), healthChip(s.status), el('span', { class: `estate ${s.state}` }, s.state),
          el('span', { class: 'row-actions' },
            s.quarantine && may(RELEASE) ? el('button', { type: 'button', class: 'small', 'data-action': 'release', onclick: () => void release(s) }, 'Release') : null,
            !s.quarantine && may(QUARANTINE) ? el('button', { type: 'button', class: 'small danger', 'data-action': 'quarantine', onclick: () => void quarantine(s) }, 'Quarantine') : null,
          ),
        ),
        el('p', { class: 'decision', 'data-decision': d.action, 'data-reason': d.reason },
          el('b', {}, d.action === 'none' ? 'No action' : d.action), ` · ${d.reason.replaceAll('_', ' ')}: `, d.message,
        ),
        facts([
          ['since', fmtDateTime(d.since)],
          ['changes', d.until ? `${fmtDateTime(d.until)} by itself` : null],
          ['last round', fmtAgo(s.last_round)],
          ['failures', `${s.consecutive_failures} in a row (acts at ${s.thresholds.failure})`],
          ['successes', `${s.consecutive_successes} in a row (healthy at ${s.thresholds.success})`],
          ['backoff', s.backoff.attempt ? `attempt ${s.backoff.attempt}, next wait ${fmtDuration(s.backoff.next_delay_ms)}${s.backoff.next_restart_at ? `, not before ${fmtDateTime(s.backoff.next_restart_at)}` : ''}` : 'none'],
          ['budget', `${s.budget.used} of ${s.budget.limit} restarts per ${Math.round(s.budget.window_seconds / 60)} min`],
          ['flapping', s.flapping.flapping ? `yes (${s.flapping.results})` : null],
          ['quarantine', s.quarantine ? `${s.quarantine.reason} since ${fmtDateTime(s.quarantine.since)}${s.quarantine.by ? ` by ${s.quarantine.by}` : ''}: ${s.quarantine.message}` : null],
          ['windows', s.windows.length ? s.windows.map((w) => `${w.kind} by ${w.by} until ${w.ends_at ? fmtDateTime(w.ends_at) : 'cleared'}: ${w.reason}`).join('; ') : null],
          ['depends on', s.depends_on.join(', ')],
          ['last heal', s.last_heal ? `${s.last_heal.outcome} ${fmtAgo(s.last_heal.ts)}: ${s.last_heal.message}` : null],
        ]),
        el('table', { class: 'grid checks' },
          el('thead', {}, el('tr', {}, ...['check', 'role', 'verdict', 'answer', 'latency'].map((h) => el('th', {}, h)))),
          el('tbody', {}, ...s.checks.map((c) => el('tr', { 'data-check': c.name }, el('td', {}, `${c.name} (${c.kind})`), el('td', {}, c.role), el('td', {}, c.verdict ?? '–'), el('td', { class: c.error ? 'error-text' : '' }, c.error ?? (c.status_code === null ? '–' : String(c.status_code))), el('td', {}, fmtMs(c.latency_ms))))),
        ),
      );
    };
    const pick = async (/** @type {string} */ name) => {
      chosen = name;
      for (const li of list.children) li.setAttribute('aria-selected', String(/** @type {HTMLElement} */ (li).dataset.watched === name));
      try {
        /** @type {HealService} */
        const s = await api.get(`/autoheal/services/${encodeURIComponent(name)}`);
        if (chosen === name) show(s);
      } catch (error) {
        if (chosen === name) detail.replaceChildren(el('p', { class: 'state error' }, describeError(error)));
      }
    };

    return {
      async refresh() {
        try {
          /** @type {HealStatus} */
          const status = await api.get('/autoheal/status');
          list.replaceChildren(
            ...status.services.map((s) =>
              el('li', { 'data-watched': s.name, role: 'option', tabindex: 0, 'aria-selected': String(s.name === chosen), onclick: () => void pick(s.name), onkeydown: (ev) => /** @type {KeyboardEvent} */ (ev).key === 'Enter' && void pick(s.name) },
                el('b', {}, s.name), el('span', { class: `estate ${s.state}` }, s.state), el('small', { class: 'muted' }, s.reason.replaceAll('_', ' ')),
              ),
            ),
          );
          f.state(status.services.length ? 'ready' : 'empty', 'Auto-heal watches no services: set AUTOHEAL_SERVICES, or register services (AUTOHEAL_PULL_FROM_REGISTRY).');
          if (!status.services.some((s) => s.name === chosen)) chosen = status.services[0]?.name ?? null;
          if (chosen) await pick(chosen);
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
