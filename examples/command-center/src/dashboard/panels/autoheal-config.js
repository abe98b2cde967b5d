// @ts-check
import { describeError, el, fmtAgo, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').HealStatus} HealStatus */

const DRY_RUN = 'PUT /autoheal/dry-run';

/** Auto-heal's configuration: on or off, runtime, interval, last round, dry run (operators switch it), the fleet guard. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'autoheal-config',
  title: 'Configuration',
  view: 'autoheal',
  requires: ['GET /autoheal/status'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  follows: ['autoheal'],
  mount(section, ctx) {
    const { api, may, toast } = ctx;
    const f = frame(section, 'Configuration');
    const facts = el('dl', { class: 'facts' });
    const guard = el('p', { class: 'error-text', hidden: true, 'data-fleet-guard': '' });
    const dryRun = el('button', { type: 'button', class: 'small', 'data-action': 'dry-run' });
    f.body.append(facts, guard, ...(may(DRY_RUN) ? [dryRun] : []));
    /** @type {HealStatus | null} */
    let last = null;
    dryRun.addEventListener('click', async () => {
      if (!last) return;
      const enabled = !last.dry_run;
      if (!(await ctx.confirm({ title: 'Dry run', message: enabled ? 'Switch dry run on? Auto-heal keeps deciding and recording, and restarts nothing.' : 'Switch dry run off? Auto-heal restarts failing services again.', confirm: enabled ? 'Switch on' : 'Switch off' }))) return;
      try {
        await api.send('PUT', '/autoheal/dry-run', { enabled, reason: 'from the dashboard' });
        toast(`Dry run is ${enabled ? 'on' : 'off'}.`, 'info');
      } catch (error) {
        toast(`Dry run: ${describeError(error)}`);
      }
      ctx.changed('autoheal');
    });
    /** @param {[string, string, string?][]} rows */
    const list = (rows) => rows.flatMap(([k, v, key]) => [el('dt', {}, k), el('dd', { 'data-config': key ?? k }, v)]);
    return {
      async refresh() {
        try {
          /** @type {HealStatus} */
          const s = await api.get('/autoheal/status');
          last = s;
          facts.replaceChildren(
            ...list([
              ['auto-heal', s.enabled ? 'on' : 'off', 'enabled'],
              ['runtime', s.runtime === 'none' ? 'none (watches and records, restarts nothing)' : s.runtime, 'runtime'],
              ['checks every', `${s.interval_seconds} s`, 'interval'],
              ['last round', fmtAgo(s.last_check), 'last_check'],
              ['dry run', s.dry_run ? 'on: decides, restarts nothing' : 'off', 'dry_run'],
              ['services', String(s.services.length), 'services'],
            ]),
          );
          guard.hidden = !s.fleet_guard;
          guard.textContent = s.fleet_guard ? `Fleet guard since ${fmtAgo(s.fleet_guard.since)}: ${s.fleet_guard.failing} of ${s.fleet_guard.fleet} failing at once, so no restarts.` : '';
          dryRun.textContent = s.dry_run ? 'Switch dry run off' : 'Switch dry run on';
          f.state('ready');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
