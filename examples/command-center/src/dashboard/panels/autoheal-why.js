// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Per service, the engine's answer to why it did or did not act in its last round. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'autoheal-why',
  title: 'Why it acted',
  view: 'autoheal',
  requires: ['GET /autoheal/services/{name}'],
  source: 'the auto-heal module (@aetherlink/autoheal)',
  empty: 'Pick a service to see why auto-heal did or did not act in its last round.',
});
