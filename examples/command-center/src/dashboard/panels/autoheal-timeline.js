// @ts-check
import { slotPanel } from '../lib/slot.js';

/** The healing timeline: recent attempts, newest first. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'autoheal-timeline',
  title: 'Healing timeline',
  view: 'autoheal',
  requires: ['GET /autoheal/history'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  read: '/autoheal/history?limit=10',
  size: 'wide',
  empty: 'No healing attempts yet: all systems healthy.',
});
