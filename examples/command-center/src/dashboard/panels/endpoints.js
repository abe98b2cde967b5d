// @ts-check
import { slotPanel } from '../lib/slot.js';

/** Webhook endpoints with their health: success rate, consecutive failures, disabled by a 410. Its data comes with the module named in `source`. */
export default slotPanel({
  id: 'endpoints',
  title: 'Endpoints',
  view: 'alerts',
  requires: ['GET /alerts/endpoints'],
  source: 'the alerts module (@aetherlink/alerts)',
  read: '/alerts/endpoints',
  empty: 'No webhook endpoints are configured (ALERT_WEBHOOKS).',
});
