// @ts-check
import { describeError, el, frame, sevChip } from '../lib/dom.js';
import { createPreview } from '../lib/preview.js';
import { clearFieldErrors, showFieldErrors } from '../lib/problem.js';
import { ruleForm } from '../lib/rule-form.js';

/** @typedef {import('../lib/types.js').RuleList} RuleList */
/** @typedef {import('../lib/types.js').AlertRule} AlertRule */

const CREATE = 'POST /alerts/rules';
const TOGGLE = 'PATCH /alerts/rules/{id}/enabled';
const REMOVE = 'DELETE /alerts/rules/{id}';
const PREVIEW = 'POST /alerts/rules/preview';

/** @param {number} s */
const secs = (s) => (s % 3600 === 0 && s ? `${s / 3600} h` : s % 60 === 0 && s ? `${s / 60} min` : `${s} s`);

/**
 * Alert rules: create one, enable or disable it, delete it, and preview (backtest) when it would have fired,
 * drawn as a chart. Operators change rules; every role may preview.
 */
export default /** @type {import('../lib/types.js').PanelDefinition} */ ({
  id: 'alert-rules',
  title: 'Alert rules',
  view: 'alerts',
  size: 'wide',
  requires: ['GET /alerts/rules'],
  source: 'the alerts module (@aetherlink/alerts)',
  follows: ['rules', 'tenant'],
  mount(section, ctx) {
    const { api, may, scope, toast } = ctx;
    const f = frame(section, 'Alert rules');
    const canCreate = may(CREATE);
    const canToggle = may(TOGGLE);
    const canRemove = may(REMOVE);
    const canPreview = may(PREVIEW);
    const preview = createPreview(api);
    const formError = el('p', { class: 'error-text', hidden: true });
    const { form, values } = ruleForm({
      tenant: scope.tenant(),
      onPreview: () => void preview.show(String(values().name || 'draft rule'), { rule: values() }),
      onSubmit: () => void create(),
      onCancel: () => (drafting.hidden = true),
    });
    const drafting = el('div', { class: 'draft', hidden: true }, form, formError);
    if (canCreate) f.body.before(drafting);
    if (canCreate) f.tools.append(el('button', { type: 'button', class: 'primary small', 'data-action': 'new-rule', onclick: () => ((drafting.hidden = !drafting.hidden), drafting.hidden || form.querySelector('input')?.focus()) }, 'New rule'));
    const rows = el('tbody');
    f.body.append(
      el('div', { class: 'scroll' },
        el('table', { class: 'grid rules' },
          el('thead', {}, el('tr', {}, ...['enabled', 'rule', 'severity', 'fires when', 'tenant', ''].map((h) => el('th', {}, h)))),
          rows,
        ),
      ),
    );
    section.append(preview.node);

    const create = async () => {
      formError.hidden = true;
      try {
        /** @type {AlertRule} */
        const rule = await api.send('POST', '/alerts/rules', values());
        clearFieldErrors(form);
        form.reset();
        drafting.hidden = true;
        toast(`Rule “${rule.name}” created.`, 'info');
        ctx.changed('rules');
      } catch (error) {
        const rest = showFieldErrors(form, error);
        formError.textContent = rest.length ? rest.join('; ') : describeError(error);
        formError.hidden = false;
      }
    };
    /**
     * @param {AlertRule} rule
     * @param {HTMLInputElement} box
     */
    const toggle = async (rule, box) => {
      box.disabled = true;
      try {
        await api.send('PATCH', `/alerts/rules/${encodeURIComponent(rule.id)}/enabled`, { enabled: box.checked });
        toast(`Rule “${rule.name}” is ${box.checked ? 'enabled' : 'disabled'}.`, 'info');
      } catch (error) {
        box.checked = !box.checked;
        toast(`${rule.name}: ${describeError(error)}`);
      }
      box.disabled = false;
      ctx.changed('rules');
    };
    const remove = async (/** @type {AlertRule} */ rule) => {
      if (!(await ctx.confirm({ title: 'Delete rule', message: `Delete the rule “${rule.name}”? Its firing alerts resolve at the next evaluation.`, confirm: 'Delete', danger: true }))) return;
      try {
        await api.send('DELETE', `/alerts/rules/${encodeURIComponent(rule.id)}`);
        toast(`Rule “${rule.name}” deleted.`, 'info');
      } catch (error) {
        toast(`${rule.name}: ${describeError(error)}`);
      }
      ctx.changed('rules');
    };

    const row = (/** @type {AlertRule} */ r) => {
      const box = el('input', { type: 'checkbox', class: 'switch', 'data-action': 'toggle', 'aria-label': `${r.name} enabled`, checked: r.enabled, disabled: Boolean(r.problem) });
      box.addEventListener('change', () => void toggle(r, box));
      return el('tr', { 'data-rule': r.id, 'data-name': r.name, 'data-enabled': String(r.enabled) },
        el('td', {}, canToggle ? box : el('span', { class: `pill ${r.enabled ? 'ok' : ''}` }, r.enabled ? 'on' : 'off')),
        el('td', { title: r.description ?? '' }, el('b', {}, r.name), r.problem ? el('div', { class: 'error-text' }, r.problem) : null),
        el('td', {}, sevChip(r.severity)),
        el('td', {}, `${r.threshold}× ${r.event_type ?? 'any event'}${r.source ? ` from ${r.source}` : ''} in ${secs(r.window_seconds)}${r.for_seconds ? `, for ${secs(r.for_seconds)}` : ''}${r.group_by.length ? ` per ${r.group_by.join(', ')}` : ''}`),
        el('td', {}, r.tenant ?? 'all'),
        el('td', { class: 'row-actions' },
          canPreview && !r.problem ? el('button', { type: 'button', class: 'small', 'data-preview-rule': r.id, onclick: () => void preview.show(r.name, { rule_id: r.id }) }, 'Preview') : null,
          canRemove ? el('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: () => void remove(r) }, 'Delete') : null,
        ),
      );
    };

    let request = 0;
    return {
      async refresh() {
        const mine = ++request;
        try {
          const tenant = scope.tenant();
          /** @type {RuleList} */
          const answer = await api.get(`/alerts/rules${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`);
          if (mine !== request) return;
          rows.replaceChildren(...answer.rules.map(row));
          scope.learn(answer.rules.map((r) => r.tenant));
          f.state(answer.count ? 'ready' : 'empty', canCreate ? 'No alert rules yet: use a template, or create one with New rule.' : 'No alert rules yet.');
        } catch (error) {
          if (mine === request) f.state('error', describeError(error));
        }
      },
    };
  },
});
