// @ts-check
import { describeError, el, fmtAgo, fmtMs, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').ProviderHealth} ProviderHealth */

const BREAKER = { closed: 'closed', half_open: 'half-open', open: 'open' };

/** AI providers in fallback order: calls, failures, success rate, breaker, latency and the last error. */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'providers',
  title: 'AI providers',
  view: 'overview',
  size: 'wide',
  requires: ['GET /providers/health'],
  mount(section, { api }) {
    const f = frame(section, 'AI providers');
    f.tools.append(el('span', { class: 'muted' }, 'in fallback order'));
    const list = el('div', { class: 'providers' });
    f.body.append(list);
    return {
      async refresh() {
        try {
          /** @type {Record<string, ProviderHealth>} */
          const providers = await api.get('/providers/health');
          const entries = Object.entries(providers);
          list.replaceChildren(
            ...entries.map(([name, p]) => {
              const rate = p.total_calls ? `${Math.round((100 * (p.total_calls - p.failed_calls)) / p.total_calls)}%` : '–';
              return el('article', { class: 'provider', 'data-provider': name, 'data-healthy': String(p.healthy) },
                el('header', {}, el('b', {}, name), el('span', { class: `health ${p.healthy ? 'ok' : 'down'}` }, p.healthy ? 'healthy' : 'failing')),
                el('dl', {},
                  el('dt', {}, 'breaker'), el('dd', { class: `breaker-${p.breaker}`, 'data-breaker': p.breaker }, BREAKER[p.breaker] ?? p.breaker),
                  el('dt', {}, 'calls'), el('dd', { 'data-calls': '' }, `${p.total_calls} (${p.failed_calls} failed)`),
                  el('dt', {}, 'success'), el('dd', { 'data-success': '' }, rate),
                  el('dt', {}, 'latency'), el('dd', {}, p.p50_ms === null ? 'no calls yet' : `p50 ${fmtMs(p.p50_ms)} · p95 ${fmtMs(p.p95_ms)}`),
                  el('dt', {}, 'last call'), el('dd', {}, fmtAgo(p.last_checked)),
                ),
                p.last_error ? el('p', { class: 'error-text', 'data-last-error': '' }, p.last_error) : null,
              );
            }),
          );
          f.state(entries.length ? 'ready' : 'empty', 'No AI providers are configured (PROVIDER_ORDER and the providers’ base URLs).');
        } catch (error) {
          f.state('error', describeError(error));
        }
      },
    };
  },
});
