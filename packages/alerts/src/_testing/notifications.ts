import type { AlertNotification } from '../notification.js';

/**
 * A firing notification for tests; override any field.
 * @example await notifier.notify(makeNotification({ status: 'resolved', ended_at: '2026-01-01T00:10:00.000Z' }))
 */
export function makeNotification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return {
    status: 'firing',
    episode_id: 'r-1|-|2026-01-01T00:00:00.000Z',
    rule: { id: 'r-1', name: 'billing-errors', severity: 'critical', tenant: null },
    group: {},
    count: 12,
    threshold: 5,
    window_seconds: 300,
    started_at: '2026-01-01T00:00:00.000Z',
    ended_at: null,
    event_id: 'evt-1',
    summary: 'billing-errors: 12 matching events in 300 s (threshold 5)',
    ...overrides,
  };
}
