// @ts-check
import { describeError, el, fmtDateTime, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').AuditPage} AuditPage */
/** @typedef {import('../lib/types.js').AuditRecord} AuditRecord */

const LIMIT = 25;
/**
 * The ops plane's writes: alert rules, endpoints and deliveries, auto-heal, a service's maintenance and removal.
 * Not the traffic of services and agents (publishing events, AI calls, registrations and heartbeats).
 */
const OPERATOR_ROUTE = /^(?:POST|PUT|PATCH|DELETE) (\/alerts\/.*|\/autoheal\/.*|\/ops\/services\/\{name\}(?:\/maintenance)?)$/;

/** @param {number} status */
const outcome = (status) => (status < 300 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'failed');

/**
 * Operator actions: the ops plane's writes in the audit trail (replays, rule changes, maintenance, materialized
 * templates), newest first, with who made them and what the server answered, refusals included.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'audit',
  title: 'Operator actions',
  view: 'events',
  size: 'full',
  requires: ['GET /audit/records'],
  source: 'an audit log with a store',
  follows: ['audit'],
  mount(section, { api, me, openDrawer }) {
    const f = frame(section, 'Operator actions');
    f.tools.append(el('span', { class: 'muted' }, 'changes to alerting, auto-heal and services, from the audit trail'));
    const rows = el('tbody');
    f.body.append(
      el('div', { class: 'scroll' },
        el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, ...['time', 'who', 'action', 'answer', 'took'].map((h) => el('th', {}, h)))), rows),
      ),
    );
    const open = (/** @type {AuditRecord} */ r) =>
      openDrawer({
        kind: 'audit',
        title: `${r.method} ${r.path}`,
        facts: [['time', fmtDateTime(r.ts)], ['principal', r.principal], ['roles', r.roles.join(', ') || 'none'], ['answer', String(r.status)], ['client', r.client_ip], ['took', `${r.duration_ms} ms`], ['service', r.service]],
        json: r,
      });
    // A backtest preview is a POST that changes nothing.
    const paths = [...new Set(Object.keys(me.routes).flatMap((r) => OPERATOR_ROUTE.exec(r)?.[1] ?? []))].filter((p) => p !== '/alerts/rules/preview');
    let request = 0;
    return {
      async refresh() {
        const mine = ++request;
        try {
          /** @type {AuditPage} */
          const page = await api.get(`/audit/records?writes=true&limit=${LIMIT}&path=${encodeURIComponent(paths.join(','))}`);
          if (mine !== request) return;
          rows.replaceChildren(
            ...page.records.map((r) =>
              el('tr', { 'data-seq': r.seq, 'data-path': r.path, 'data-method': r.method, tabindex: 0, onclick: () => open(r), onkeydown: (ev) => /** @type {KeyboardEvent} */ (ev).key === 'Enter' && open(r) },
                el('td', {}, el('time', { datetime: r.ts }, fmtDateTime(r.ts))),
                el('td', {}, r.principal ? `${r.principal} · ` : '', r.roles.join(', ') || 'no roles'),
                el('td', {}, el('code', {}, `${r.method} ${r.path}`)),
                el('td', {}, el('span', { class: `outcome ${outcome(r.status)}` }, String(r.status))),
                el('td', {}, `${Math.round(r.duration_ms)} ms`),
              ),
            ),
          );
          f.state(page.records.length ? 'ready' : 'empty', 'No operator actions yet: replays, rule changes and maintenance show here.');
        } catch (error) {
          if (mine === request) f.state('error', describeError(error));
        }
      },
    };
  },
});
