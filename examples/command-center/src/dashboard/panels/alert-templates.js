// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Alert rule templates, each materialized into a rule with one click. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'alert-templates',
  title: 'Alert templates',
  view: 'alerts',
  requires: ['GET /alerts/templates'],
  source: 'the alerts module (@aetherlink/alerts)',
  read: '/alerts/templates',
  empty: 'No alert templates.',
});
