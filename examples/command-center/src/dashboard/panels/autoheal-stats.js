// @ts-check
import { describeError, el, fmtDuration, fmtNumber, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').HealStats} HealStats */

/** Auto-heal's figures as cards: attempts, success rate, successes, failures, skips, time to heal, most healed, quarantined. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'autoheal-stats',
  title: 'Auto-heal',
  view: 'autoheal',
  size: 'full',
  requires: ['GET /autoheal/stats'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  followsEvents: true,
  follows: ['autoheal'],
  mount(section, { api }) {
    const f = frame(section, 'Auto-heal');
    const cards = el('div', { class: 'cards' });
    f.body.append(cards);
    /**
     * @param {string} key
     * @param {string} value
     * @param {string} label
     * @param {string} [tone]
     */
    const card = (key, value, label, tone = '') => el('div', { class: `card ${tone}`, 'data-card': key }, el('p', { class: 'big' }, value), el('p', { class: 'muted' }, label));
    return {
      async refresh() {
        try {
          /** @type {HealStats} */
          const s = await api.get('/autoheal/stats');
          cards.replaceChildren(
            card('total_attempts', fmtNumber(s.total_attempts), 'restarts tried'),
            card('success_rate', s.total_attempts ? `${Math.round(s.success_rate * 1000) / 10}%` : '–', 'healed by a restart', s.total_attempts && s.success_rate < 0.5 ? 'bad' : ''),
            card('successful', fmtNumber(s.successful), 'succeeded', s.successful ? 'good' : ''),
            card('failed', fmtNumber(s.failed), 'failed', s.failed ? 'bad' : ''),
            card('skipped', fmtNumber(s.skipped), 'left alone (skips recorded)'),
            card('time_to_heal', s.time_to_heal_ms.samples ? `${fmtDuration(s.time_to_heal_ms.p50)}` : '–', s.time_to_heal_ms.samples ? `time to heal, p50 (p95 ${fmtDuration(s.time_to_heal_ms.p95)})` : 'time to heal'),
            card('most_healed', s.most_healed ?? '–', s.most_healed ? `most healed (${s.services[s.most_healed] ?? 0})` : 'most healed'),
            card('quarantined', fmtNumber(s.quarantined.length), s.quarantined.length ? `quarantined: ${s.quarantined.map((q) => q.service).join(', ')}` : 'quarantined', s.quarantined.length ? 'bad' : ''),
          );
          f.state('ready');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
