// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Auto-heal configuration: monitored services, check interval, runtime, last check. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'autoheal-config',
  title: 'Auto-heal configuration',
  view: 'autoheal',
  requires: ['GET /autoheal/status'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  read: '/autoheal/status',
  empty: 'Auto-heal monitors no services.',
});
