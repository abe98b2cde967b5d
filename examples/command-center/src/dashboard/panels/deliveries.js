// @ts-check
import { bulkReplay, MAX_BULK, REPLAY_BULK } from '../lib/bulk-replay.js';
import { showDelivery, statusChip } from '../lib/delivery-drawer.js';
import { describeError, el, fmtDateTime, frame } from '../lib/dom.js';

/** @typedef {import('../lib/types.js').DeliverySummary} DeliverySummary */
/** @typedef {import('../lib/types.js').DeliveryPage} DeliveryPage */
/** @typedef {import('../lib/types.js').RuleList} RuleList */

const PAGE = 50;
/** The status filter's choices, each one or more of the server's statuses. */
const STATUSES = [
  ['', 'all statuses'],
  ['delivered', 'delivered'],
  ['retrying,dead_letter', 'failed'],
  ['pending,delivering', 'pending'],
  ['dead_letter', 'dead letter'],
  ['cancelled', 'cancelled'],
];
const WINDOWS = [
  ['15m', 'last 15 min'],
  ['1h', 'last hour'],
  ['24h', 'last 24 h'],
  ['', 'all'],
];

/**
 * Delivery history, filtered by time window and status on the server and paged with its cursor; a row opens the
 * detail drawer; operators select rows (or every row matching the filters) and replay them in one request.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'deliveries',
  title: 'Delivery history',
  view: 'alerts',
  size: 'full',
  requires: ['GET /alerts/deliveries/history', 'GET /alerts/deliveries/{id}'],
  source: 'the alerts module (@aetherlink/alerts)',
  follows: ['deliveries', 'tenant'],
  mount(section, ctx) {
    const { api, may, scope } = ctx;
    const f = frame(section, 'Delivery history');
    const operate = may(REPLAY_BULK);
    const windowSelect = el('select', { name: 'since', 'aria-label': 'Time window' }, ...WINDOWS.map(([v, l]) => el('option', { value: v, selected: v === '1h' }, l)));
    const statusSelect = el('select', { name: 'status', 'aria-label': 'Status' }, ...STATUSES.map(([v, l]) => el('option', { value: v }, l)));
    f.tools.append(
      el('form', { class: 'filters', onsubmit: (ev) => (ev.preventDefault(), void load()), onchange: () => (clearSelection(), void load()) },
        windowSelect, statusSelect, el('button', { type: 'submit' }, 'Refresh'),
      ),
    );

    /** @type {Set<string>} */
    const selected = new Set();
    /** @type {DeliverySummary[]} */
    let rows = [];
    const all = el('input', { type: 'checkbox', 'data-select': 'all', 'aria-label': 'Select every delivery shown', onchange: () => selectShown(all.checked) });
    const count = el('span', { 'data-selected': '' });
    const everything = el('button', { type: 'button', class: 'link', 'data-action': 'select-matching', hidden: true, onclick: () => void selectMatching() }, '');
    const replay = el('button', { type: 'button', class: 'primary', 'data-action': 'bulk-replay', onclick: () => void replaySelected() }, 'Replay selected');
    const bulk = el('div', { class: 'bulk', hidden: true, 'data-bulk': '' }, count, everything, replay, el('button', { type: 'button', class: 'small', onclick: () => clearSelection() }, 'Clear'));
    const summary = el('div', { class: 'summary', hidden: true, 'data-replay-summary': '', role: 'status' });
    const body = el('tbody');
    const more = el('button', { type: 'button', hidden: true, 'data-page': 'older', onclick: () => void load(true) }, 'Older deliveries');
    const headers = ['status', 'event type', 'rule', 'target', 'attempts', 'tenant', 'created', 'last error'];
    // The summary outlives the rows it was about (a filter that now matches nothing).
    f.body.before(summary);
    f.body.append(
      ...(operate ? [bulk] : []),
      el('div', { class: 'scroll tall' },
        el('table', { class: 'grid deliveries' },
          el('thead', {}, el('tr', {}, operate ? el('th', { class: 'check' }, all) : null, ...headers.map((h) => el('th', {}, h)))),
          body,
        ),
      ),
      more,
    );

    /** @type {string | null} */
    let cursor = null;
    let paged = false;
    /** True while the selection is every delivery matching the filters, not only those shown. */
    let matching = false;
    let request = 0;
    /** @type {Map<string, string>} */
    let ruleNames = new Map();
    const follow = new AbortController();

    const query = (/** @type {string | null} */ from) => {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (windowSelect.value) q.set('since', windowSelect.value);
      if (statusSelect.value) q.set('status', statusSelect.value);
      if (scope.tenant()) q.set('tenant_id', scope.tenant());
      if (from) q.set('cursor', from);
      return q;
    };

    const renderSelection = () => {
      for (const box of body.querySelectorAll('input[type="checkbox"]')) {
        const input = /** @type {HTMLInputElement} */ (box);
        input.checked = selected.has(input.value);
      }
      const shown = rows.filter((r) => selected.has(r.id)).length;
      all.checked = rows.length > 0 && shown === rows.length;
      all.indeterminate = shown > 0 && shown < rows.length;
      bulk.hidden = selected.size === 0;
      count.textContent = `${selected.size} selected${matching ? ' (every delivery matching the filters)' : ''}`;
      everything.hidden = !(all.checked && cursor && !matching);
      everything.textContent = 'Select every delivery matching the filters';
      replay.textContent = `Replay ${selected.size} selected`;
    };
    const selectShown = (/** @type {boolean} */ on) => {
      matching = false;
      for (const r of rows) on ? selected.add(r.id) : selected.delete(r.id);
      renderSelection();
    };
    const clearSelection = () => {
      selected.clear();
      matching = false;
      renderSelection();
    };
    // Every page of the filtered history, up to what one bulk request takes.
    const selectMatching = async () => {
      everything.disabled = true;
      try {
        let from = cursor;
        while (from && selected.size < MAX_BULK) {
          /** @type {DeliveryPage} */
          const page = await api.get(`/alerts/deliveries/history?${query(from)}`);
          for (const d of page.deliveries) if (selected.size < MAX_BULK) selected.add(d.id);
          from = page.next_cursor;
        }
        matching = !from;
        if (from) ctx.toast(`Selected the first ${MAX_BULK} matching deliveries: one replay takes at most ${MAX_BULK}.`, 'info');
      } catch (error) {
        ctx.toast(describeError(error));
      } finally {
        everything.disabled = false;
        renderSelection();
      }
    };
    const replaySelected = async () => {
      replay.disabled = true;
      try {
        if (await bulkReplay(ctx, [...selected], summary, follow.signal)) clearSelection();
      } finally {
        replay.disabled = false;
      }
    };

    const row = (/** @type {DeliverySummary} */ d) => {
      const open = () => void showDelivery(ctx, d.id, ruleNames);
      return el('tr', { 'data-id': d.id, 'data-status': d.status, tabindex: 0, onclick: open, onkeydown: (ev) => /** @type {KeyboardEvent} */ (ev).key === 'Enter' && open() },
        operate
          ? el('td', { class: 'check', onclick: (ev) => ev.stopPropagation() },
              el('input', { type: 'checkbox', value: d.id, 'aria-label': `Select delivery ${d.id}`, onchange: (ev) => {
                const box = /** @type {HTMLInputElement} */ (ev.target);
                matching = false;
                box.checked ? selected.add(d.id) : selected.delete(d.id);
                renderSelection();
              } }),
            )
          : null,
        el('td', {}, statusChip(d.status), d.replay_of ? el('span', { class: 'muted', title: `replay of ${d.replay_of}` }, ' ↻') : null),
        el('td', {}, d.event_type ?? '–'),
        el('td', { title: d.rule_id ?? '' }, d.rule_id ? ruleNames.get(d.rule_id) ?? d.rule_id : '–'),
        el('td', { title: d.endpoint }, d.endpoint),
        el('td', {}, `${d.attempts}/${d.max_attempts}`),
        el('td', {}, d.tenantid ?? ''),
        el('td', {}, el('time', { datetime: d.created_at }, fmtDateTime(d.created_at))),
        el('td', { class: 'error-text', title: d.last_error ?? '' }, d.last_error ?? ''),
      );
    };

    const load = async (older = false) => {
      const mine = ++request;
      // The rows shown stay until the new ones come, dimmed: a filter change says it is working.
      section.setAttribute('aria-busy', 'true');
      try {
        const [page, rules] = await Promise.all([
          /** @type {Promise<DeliveryPage>} */ (api.get(`/alerts/deliveries/history?${query(older ? cursor : null)}`)),
          /** @type {Promise<RuleList | null>} */ (may('GET /alerts/rules') ? api.get('/alerts/rules').catch(() => null) : Promise.resolve(null)),
        ]);
        if (mine !== request) return;
        if (rules) ruleNames = new Map(rules.rules.map((r) => [r.id, r.name]));
        rows = older ? [...rows, ...page.deliveries] : page.deliveries;
        const ids = new Set(rows.map((r) => r.id));
        if (!matching) for (const id of selected) if (!ids.has(id)) selected.delete(id);
        body.replaceChildren(...rows.map(row));
        paged = older;
        cursor = page.next_cursor;
        more.hidden = !cursor;
        scope.learn(rows.map((r) => r.tenantid));
        renderSelection();
        const filtered = windowSelect.value !== '' || statusSelect.value !== '' || scope.tenant() !== '';
        f.state(rows.length ? 'ready' : 'empty', filtered ? 'No deliveries match these filters: widen the time window or pick another status.' : 'No deliveries yet.');
      } catch (error) {
        if (mine === request) f.state('error', describeError(error));
      } finally {
        if (mine === request) section.removeAttribute('aria-busy');
      }
    };
    return { refresh: () => (paged ? Promise.resolve() : load()), dispose: () => follow.abort() };
  },
});
