// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Registered services beside the ones auto-heal monitors, so a gap between the two shows. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'reconcile',
  title: 'Registered vs monitored',
  view: 'autoheal',
  requires: ['GET /ops/services', 'GET /autoheal/status'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  read: '/autoheal/status',
  size: 'wide',
  empty: 'Every registered service is monitored by auto-heal.',
});
