// @ts-check
import { describeError, el, fmtDateTime, fmtMs } from './dom.js';

/** @typedef {import('./types.js').DeliveryDetail} DeliveryDetail */
/** @typedef {import('./types.js').DeliveryStatus} DeliveryStatus */
/** @typedef {import('./types.js').PanelContext} PanelContext */

export const REPLAY_ONE = 'POST /alerts/deliveries/{id}/replay';
/** Deliveries a worker still owns: replaying one would send the message twice at once. */
const UNFINISHED = new Set(['pending', 'delivering']);
const LABEL = { pending: 'pending', delivering: 'delivering', delivered: 'delivered', retrying: 'retrying', dead_letter: 'dead letter', cancelled: 'cancelled' };

/** @param {DeliveryStatus} status */
export const statusChip = (status) => el('span', { class: `dstatus ${status}`, 'data-status': status }, LABEL[status] ?? status);

const PREVIEW = 80;

/** What the receiver answered: its start at a glance, all of it when unfolded. @param {string | null} body */
function responseOf(body) {
  if (body === null || body === '') return el('span', { class: 'muted' }, 'nothing');
  if (body.length <= PREVIEW) return el('code', {}, body);
  return el('details', {}, el('summary', {}, el('code', {}, `${body.slice(0, PREVIEW)}…`)), el('pre', { class: 'raw' }, body));
}

/**
 * The attempts of a delivery, each with what the receiver answered.
 * @param {DeliveryDetail} d
 */
function attemptsTable(d) {
  if (!d.attempt_log.length) return el('p', { class: 'muted' }, 'Not tried yet.');
  return el('div', { class: 'scroll' },
    el('table', { class: 'grid attempts', 'data-attempts': d.attempt_log.length },
      el('thead', {}, el('tr', {}, ...['#', 'at', 'answer', 'took', 'response'].map((h) => el('th', {}, h)))),
      el('tbody', {},
        ...d.attempt_log.map((a) =>
          el('tr', { 'data-attempt': a.attempt, 'data-ok': String(a.error === null) },
            el('td', {}, a.attempt),
            el('td', {}, fmtDateTime(a.at)),
            el('td', { class: a.error ? 'error-text' : '' }, a.status_code === null ? 'no answer' : String(a.status_code), a.error && a.error !== `HTTP ${a.status_code}` ? el('div', { class: 'wrap' }, a.error) : null),
            el('td', {}, fmtMs(a.duration_ms)),
            el('td', { class: 'wrap', 'data-response': '' }, responseOf(a.response_body)),
          ),
        ),
      ),
    ),
  );
}

/**
 * Opens one delivery in the drawer: status, attempts with each answer, next retry, target, tenant, rule name,
 * event type, last error and the raw JSON; an operator may retry it from there (a new delivery with the same
 * webhook-id), which the drawer then follows.
 * @param {PanelContext} ctx
 * @param {string} id
 * @param {Map<string, string>} [ruleNames] Names of the rules already at hand.
 * @returns {Promise<void>}
 * @example await showDelivery(ctx, row.id, names)
 */
export async function showDelivery(ctx, id, ruleNames = new Map()) {
  const { api, may, openDrawer, toast } = ctx;
  /** @type {DeliveryDetail} */
  let d;
  try {
    d = await api.get(`/alerts/deliveries/${encodeURIComponent(id)}`);
  } catch (error) {
    toast(`Delivery ${id}: ${describeError(error)}`);
    return;
  }
  let ruleName = d.rule_id ? ruleNames.get(d.rule_id) : undefined;
  if (d.rule_id && ruleName === undefined && may('GET /alerts/rules/{id}')) {
    ruleName = await api.get(`/alerts/rules/${encodeURIComponent(d.rule_id)}`).then(
      (/** @type {{ name: string }} */ r) => r.name,
      () => `${d.rule_id} (not a stored rule)`,
    );
  }
  const retry = async () => {
    button.disabled = true;
    try {
      /** @type {{ new_id: string, original_id: string }} */
      const answer = await api.send('POST', `/alerts/deliveries/${encodeURIComponent(d.id)}/replay`);
      toast(`Delivery ${d.id} is queued again as ${answer.new_id}.`, 'info');
      ctx.changed('deliveries');
      await showDelivery(ctx, answer.new_id, ruleNames);
    } catch (error) {
      button.disabled = false;
      toast(`Retry refused: ${describeError(error)}`);
    }
  };
  const button = el('button', { type: 'button', class: 'primary', 'data-action': 'retry', onclick: () => void retry() }, d.status === 'delivered' ? 'Send again' : 'Retry delivery');
  const canRetry = may(REPLAY_ONE) && !UNFINISHED.has(d.status);
  const waiting = d.status === 'pending' || d.status === 'retrying';
  const reload = el('button', { type: 'button', class: 'small', 'data-drawer': 'reload', onclick: () => void showDelivery(ctx, d.id, ruleNames) }, 'Reload');
  openDrawer({
    kind: 'delivery',
    title: `Delivery ${d.id}`,
    facts: [
      ['status', statusChip(d.status)],
      ['attempts', `${d.attempts} of ${d.max_attempts}`],
      ['next retry', waiting && d.next_attempt_at ? fmtDateTime(d.next_attempt_at) : undefined],
      ['created', fmtDateTime(d.created_at)],
      ['delivered', d.delivered_at ? fmtDateTime(d.delivered_at) : undefined],
      ['target', d.endpoint],
      ['tenant', d.tenantid ?? '–'],
      ['rule', d.rule_id ? `${ruleName ?? d.rule_id}` : '–'],
      ['rule id', d.rule_id],
      ['event type', d.event_type],
      ['event id', d.event_id],
      ['webhook id', d.webhook_id],
      ['replay of', d.replay_of],
      ['last error', d.last_error ? el('span', { class: 'error-text', 'data-last-error': '' }, d.last_error) : undefined],
      ['last answer', d.last_status_code === null ? undefined : String(d.last_status_code)],
    ],
    actions: [...(canRetry ? [button] : []), reload],
    sections: [el('h3', {}, 'Attempts'), attemptsTable(d)],
    json: d,
  });
}
