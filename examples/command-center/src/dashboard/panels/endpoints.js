// @ts-check
import { describeError, el, fmtAgo, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').EndpointList} EndpointList */
/** @typedef {import('../lib/types.js').AlertEndpoint} AlertEndpoint */

const CHANGE = 'PATCH /alerts/endpoints/{id}';
const TEST = 'POST /alerts/endpoints/{id}/test';

/** @param {number | null} rate */
const pct = (rate) => (rate === null ? '–' : `${Math.round(rate * 1000) / 10}%`);

/**
 * Webhook endpoints with their health from their latest attempts (success rate, consecutive failures, the last
 * failure, disabled by a 410); operators send a test alert, or disable and enable an endpoint.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'endpoints',
  title: 'Endpoints',
  view: 'alerts',
  size: 'wide',
  requires: ['GET /alerts/endpoints'],
  source: 'the alerts module (@aetherlink/alerts)',
  follows: ['endpoints', 'deliveries'],
  mount(section, ctx) {
    const { api, may, toast } = ctx;
    const f = frame(section, 'Endpoints');
    const canChange = may(CHANGE);
    const canTest = may(TEST);
    const list = el('div', { class: 'endpoints' });
    f.body.append(list);

    /**
     * @param {AlertEndpoint} e
     * @param {string} what
     * @param {() => Promise<unknown>} call
     */
    const act = async (e, what, call) => {
      try {
        await call();
        toast(`${e.url}: ${what}.`, 'info');
      } catch (error) {
        toast(`${e.url}: ${describeError(error)}`);
      }
      ctx.changed('endpoints');
    };
    const card = (/** @type {AlertEndpoint} */ e) => {
      const h = e.health;
      return el('article', { class: 'endpoint', 'data-endpoint': e.id, 'data-health': h.status },
        el('header', {},
          el('b', { class: 'url', title: e.url }, e.url),
          el('span', { class: `ehealth ${h.status}` }, h.status),
        ),
        el('dl', {},
          el('dt', {}, 'channel'), el('dd', {}, `${e.channel}${e.source === 'config' ? ' · from ALERT_WEBHOOKS' : ''}`),
          el('dt', {}, 'success'), el('dd', { 'data-success-rate': '' }, `${pct(h.success_rate)} of ${h.attempts} attempts`),
          el('dt', {}, 'failing'), el('dd', { 'data-consecutive-failures': h.consecutive_failures }, h.consecutive_failures ? `${h.consecutive_failures} in a row` : 'no'),
          el('dt', {}, 'last success'), el('dd', {}, fmtAgo(h.last_success_at)),
        ),
        e.disabled_reason ? el('p', { class: 'error-text' }, `Disabled: ${e.disabled_reason}`) : null,
        h.last_failure ? el('p', { class: 'error-text', 'data-last-failure': '' }, `${fmtAgo(h.last_failure.at)}: ${h.last_failure.error.includes(String(h.last_failure.status_code)) ? h.last_failure.error : `${h.last_failure.status_code ?? 'no answer'} ${h.last_failure.error}`}`) : null,
        canChange || canTest
          ? el('div', { class: 'row-actions' },
              canTest && e.enabled ? el('button', { type: 'button', class: 'small', 'data-action': 'test', onclick: () => void act(e, 'a test alert is queued', () => api.send('POST', `/alerts/endpoints/${encodeURIComponent(e.id)}/test`)) }, 'Send test') : null,
              canChange
                ? el('button', { type: 'button', class: 'small', 'data-action': e.enabled ? 'disable' : 'enable', onclick: () => void toggle(e) }, e.enabled ? 'Disable' : 'Enable')
                : null,
            )
          : null,
      );
    };
    const toggle = async (/** @type {AlertEndpoint} */ e) => {
      if (e.enabled && !(await ctx.confirm({ title: 'Disable endpoint', message: `Disable ${e.url}? Its waiting deliveries are cancelled; alerts are not sent to it until it is enabled again.`, confirm: 'Disable', danger: true }))) return;
      await act(e, e.enabled ? 'disabled' : 'enabled', () => api.send('PATCH', `/alerts/endpoints/${encodeURIComponent(e.id)}`, { enabled: !e.enabled }));
    };

    return {
      async refresh() {
        try {
          /** @type {EndpointList} */
          const answer = await api.get('/alerts/endpoints');
          list.replaceChildren(...answer.endpoints.map(card));
          f.state(answer.count ? 'ready' : 'empty', 'No webhook endpoints: set ALERT_WEBHOOKS, or add one with POST /alerts/endpoints.');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
