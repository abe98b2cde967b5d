// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Alert rules: create, enable or disable, delete, and the backtest preview of when one would have fired. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'alert-rules',
  title: 'Alert rules',
  view: 'alerts',
  requires: ['GET /alerts/rules'],
  source: 'the alerts module (@aetherlink/alerts)',
  read: '/alerts/rules',
  size: 'wide',
  empty: 'No alert rules yet: materialize a template or create one.',
});
