// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Delivery history by window and status, with the detail drawer, retry, and bulk replay. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'deliveries',
  title: 'Delivery history',
  view: 'alerts',
  requires: ['GET /alerts/deliveries/history', 'GET /alerts/deliveries/stats'],
  source: 'the alerts module (@aetherlink/alerts)',
  read: '/alerts/deliveries/history?since=1h',
  size: 'full',
  empty: 'No deliveries in this window.',
});
