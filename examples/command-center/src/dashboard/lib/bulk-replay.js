// @ts-check
import { describeError, el } from './dom.js';

/** @typedef {import('./types.js').PanelContext} PanelContext */
/** @typedef {import('./types.js').BulkReplayAnswer} BulkReplayAnswer */
/** @typedef {import('./types.js').DeliveryDetail} DeliveryDetail */

export const REPLAY_BULK = 'POST /alerts/deliveries/replay-bulk';
/** The bulk endpoint's limit per request. */
export const MAX_BULK = 500;
/** Replays followed to their end in the summary (each is one request per look). */
const FOLLOW = 50;
const FOLLOW_EVERY_MS = 1000;
const FOLLOW_LOOKS = 120;
const FINAL = new Set(['delivered', 'dead_letter', 'cancelled']);

/**
 * Replays `ids` through the one bulk endpoint after a confirmation, then says what succeeded and what failed in
 * `summary`: the server replays all or none, naming each delivery it cannot replay; the replays are then followed
 * until each is delivered or has failed. Resolves true when something was replayed.
 * @param {PanelContext} ctx
 * @param {string[]} ids
 * @param {HTMLElement} summary
 * @param {AbortSignal} signal Stops following the replays.
 * @returns {Promise<boolean>}
 * @example if (await bulkReplay(ctx, [...selected], summaryBox, ac.signal)) selected.clear()
 */
export async function bulkReplay(ctx, ids, summary, signal) {
  const { api, confirm } = ctx;
  const n = ids.length;
  const plural = n === 1 ? 'delivery' : 'deliveries';
  const ok = await confirm({
    title: 'Replay deliveries',
    message: `Replay ${n} ${plural}? Each is sent again as a new delivery with fresh attempts and the same webhook-id, so receivers can tell it is the same message.`,
    confirm: `Replay ${n} ${plural}`,
  });
  if (!ok) return false;
  summary.hidden = false;
  summary.dataset.outcome = 'sending';
  summary.replaceChildren(el('p', { class: 'state loading' }, `Replaying ${n} ${plural}…`));
  /** @type {BulkReplayAnswer} */
  let answer;
  try {
    answer = await api.send('POST', '/alerts/deliveries/replay-bulk', { ids });
  } catch (error) {
    const problem = /** @type {{ problem?: import('./types.js').Problem | null }} */ (error).problem;
    // ids[3] names the fourth id sent.
    const refused = (problem?.errors ?? []).map((e) => {
      const i = /^ids\[(\d+)\]$/.exec(e.field)?.[1];
      return { id: i === undefined ? e.field : ids[Number(i)] ?? e.field, message: e.message };
    });
    summary.dataset.outcome = 'refused';
    summary.replaceChildren(
      el('p', { class: 'error-text', 'data-summary': 'refused' }, `Nothing was replayed: ${describeError(error)}`),
      ...(refused.length ? [el('ul', { class: 'refused' }, ...refused.map((r) => el('li', { 'data-id': r.id }, el('code', {}, r.id), ' ', r.message)))] : []),
      closeButton(summary),
    );
    return false;
  }
  ctx.changed('deliveries');
  const followed = answer.results.slice(0, FOLLOW);
  /** @type {Map<string, string>} */
  const status = new Map(followed.map((r) => [r.new_id, 'pending']));
  const line = el('p', { 'data-summary': 'replayed' });
  const render = () => {
    const counts = { delivered: 0, failed: 0, waiting: 0 };
    for (const s of status.values()) {
      if (s === 'delivered') counts.delivered++;
      else if (s === 'dead_letter' || s === 'cancelled' || s === 'retrying') counts.failed++;
      else counts.waiting++;
    }
    Object.assign(summary.dataset, { delivered: String(counts.delivered), failed: String(counts.failed), waiting: String(counts.waiting) });
    summary.dataset.outcome = counts.waiting ? 'following' : counts.failed ? 'failed' : 'delivered';
    line.textContent =
      `Replayed ${answer.count} of ${n} ${plural}` +
      (followed.length < answer.count ? ` (following the first ${followed.length})` : '') +
      `: ${counts.delivered} delivered, ${counts.failed} failed again, ${counts.waiting} on the way.`;
  };
  summary.replaceChildren(line, closeButton(summary));
  render();
  for (let look = 0; look < FOLLOW_LOOKS && !signal.aborted && [...status.values()].some((s) => !FINAL.has(s)); look++) {
    await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
    const open = [...status].filter(([, s]) => !FINAL.has(s)).map(([id]) => id);
    const seen = await Promise.all(open.map((id) => api.get(`/alerts/deliveries/${encodeURIComponent(id)}`).then((/** @type {DeliveryDetail} */ d) => d.status, () => null)));
    open.forEach((id, i) => seen[i] && status.set(id, /** @type {string} */ (seen[i])));
    render();
    if (seen.some((s) => s !== null && FINAL.has(s))) ctx.changed('deliveries');
  }
  return true;
}

/** @param {HTMLElement} summary */
const closeButton = (summary) => el('button', { type: 'button', class: 'small', 'aria-label': 'Dismiss', onclick: () => (summary.hidden = true) }, 'Dismiss');
