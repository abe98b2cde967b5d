// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Auto-heal stats: attempts, success rate, successes, failures, the most healed service. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'autoheal-stats',
  title: 'Auto-heal',
  view: 'autoheal',
  requires: ['GET /autoheal/stats'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  read: '/autoheal/stats',
  empty: 'No healing attempts yet: all systems healthy.',
});
