import { describe, expect, it } from 'vitest';
import { uuidv7 } from './ids.js';

describe('uuidv7', () => {
  it('is a version 7, variant 1 UUID carrying the time', () => {
    const t = Date.parse('2026-03-01T12:00:00.000Z');
    const id = uuidv7(t);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
  });
  it('sorts by time and does not repeat', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_700_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(5000);
    for (let i = 10; i < ids.length; i += 10) expect(ids[i]! > ids[i - 10]!).toBe(true);
  });
});

describe('uuidv7 within one millisecond', () => {
  it('sorts ids in the order they were made, however many share the millisecond', () => {
    const t = Date.parse('2026-06-01T00:00:00.000Z');
    const ids = Array.from({ length: 10_000 }, () => uuidv7(t));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `id ${i} sorts after id ${i - 1}`).toBe(true);
    // Still the given millisecond, version 7 and variant 1 throughout.
    for (const id of [ids[0]!, ids[9999]!]) {
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('starts a fresh random sequence each millisecond and when the clock goes back', () => {
    const t = Date.parse('2026-06-01T00:00:00.000Z');
    const a = uuidv7(t + 10);
    const b = uuidv7(t + 5);
    expect(parseInt(b.replace(/-/g, '').slice(0, 12), 16)).toBe(t + 5);
    expect(a).not.toBe(b);
  });
});
