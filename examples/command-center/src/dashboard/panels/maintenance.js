// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Maintenance windows and quarantine, with the operator actions that set and release them. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'maintenance',
  title: 'Maintenance and quarantine',
  view: 'autoheal',
  requires: ['GET /autoheal/status'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  empty: 'No service is in maintenance or quarantine.',
});
