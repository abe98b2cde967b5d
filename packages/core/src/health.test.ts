import { describe, expect, it } from 'vitest';
import { compareHealth, worstStatus, type HealthStatus } from './health.js';

describe('health model', () => {
  it('aggregates worst first: maintenance > down > degraded > ok', () => {
    expect(worstStatus([])).toBe('ok');
    expect(worstStatus(['ok', 'degraded', 'ok'])).toBe('degraded');
    expect(worstStatus(['degraded', 'down'])).toBe('down');
    expect(worstStatus(['down', 'maintenance', 'ok'])).toBe('maintenance');
    const list: HealthStatus[] = ['ok', 'maintenance', 'degraded', 'down'];
    expect(list.sort(compareHealth)).toEqual(['maintenance', 'down', 'degraded', 'ok']);
  });
});
