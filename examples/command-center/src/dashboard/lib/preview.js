// @ts-check
import { drawBacktest } from './backtest-chart.js';
import { describeError, el } from './dom.js';

/** @typedef {import('./types.js').BacktestResult} BacktestResult */

/** Ranges to replay, with an evaluation step that keeps each replay to a few thousand evaluations. */
const RANGES = [
  ['1h', 3_600_000, undefined, 'last hour'],
  ['24h', 86_400_000, 60, 'last 24 h'],
  ['7d', 7 * 86_400_000, 600, 'last 7 days'],
];
/** The server refuses a range ending in its future: stay clear of a browser clock a little ahead of it. */
const CLOCK_MARGIN_MS = 5000;

/**
 * The backtest preview of a rule (saved, by id, or a draft): replays the stored events of a past range and draws
 * when it would have fired.
 * @param {import('./api.js').Api} api
 * @returns {{ node: HTMLElement, show: (label: string, rule: { rule_id: string } | { rule: Record<string, unknown> }) => Promise<void> }}
 * @example const preview = createPreview(api); panel.append(preview.node); await preview.show('errors', { rule_id })
 */
export function createPreview(api) {
  const title = el('h3', {});
  const range = el('select', { name: 'range', 'aria-label': 'Preview range' }, ...RANGES.map(([v, , , l]) => el('option', { value: String(v), selected: v === '24h' }, String(l))));
  const status = el('p', { class: 'state', role: 'status' });
  const box = el('div', { class: 'chart-box' });
  const facts = el('p', { class: 'muted', 'data-preview-summary': '' });
  const node = el('div', { class: 'preview', hidden: true, 'data-preview': '' },
    el('header', {}, title, range, el('button', { type: 'button', class: 'small', 'aria-label': 'Close the preview', onclick: () => (node.hidden = true) }, 'Close')),
    status, box, facts,
  );
  /** @type {{ label: string, rule: { rule_id: string } | { rule: Record<string, unknown> } } | null} */
  let current = null;
  let request = 0;

  const run = async () => {
    if (!current) return;
    const mine = ++request;
    const [, span, step] = RANGES.find(([v]) => v === range.value) ?? RANGES[1] ?? [];
    const to = Date.now() - CLOCK_MARGIN_MS;
    node.hidden = false;
    node.dataset.state = 'loading';
    title.textContent = `Preview: ${current.label}`;
    status.textContent = 'Replaying the stored events…';
    status.className = 'state loading';
    try {
      /** @type {BacktestResult} */
      const result = await api.send('POST', '/alerts/rules/preview', {
        ...current.rule,
        from: new Date(to - Number(span)).toISOString(),
        to: new Date(to).toISOString(),
        ...(step ? { step_seconds: step } : {}),
      });
      if (mine !== request) return;
      status.textContent = '';
      status.className = 'state';
      drawBacktest(box, result);
      facts.textContent =
        result.episodes_total === 0
          ? `It would not have fired: ${result.events_matched} matching events over ${result.evaluations} evaluations.`
          : `It would have fired ${result.episodes_total} ${result.episodes_total === 1 ? 'time' : 'times'} and sent ${result.notifications.total} notifications (${result.events_matched} matching events, ${result.evaluations} evaluations).`;
      node.dataset.episodes = String(result.episodes_total);
      node.dataset.state = 'ready';
    } catch (error) {
      if (mine !== request) return;
      box.replaceChildren();
      facts.textContent = '';
      status.textContent = describeError(error);
      status.className = 'state error';
      node.dataset.state = 'error';
    }
  };
  range.addEventListener('change', () => void run());
  return {
    node,
    show(label, rule) {
      current = { label, rule };
      return run();
    },
  };
}
