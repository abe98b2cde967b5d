import { describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { cloneRecord, timeParam } from './shared.js';

describe('cloneRecord', () => {
  it('copies plain objects and arrays deeply, sharing nothing with the original', () => {
    const original = { a: 1, s: 'x', n: null, u: undefined, nested: { list: [1, { deep: true }], empty: {} } };
    const copy = cloneRecord(original);
    expect(copy).toStrictEqual(original);
    expect(copy.nested).not.toBe(original.nested);
    expect(copy.nested.list[1]).not.toBe(original.nested.list[1]);
    copy.nested.list.push(3);
    (copy.nested.list[1] as { deep: boolean }).deep = false;
    expect(original.nested.list).toEqual([1, { deep: true }]);
  });

  it('gives the same result as structuredClone for values that are not plain', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    const original = { when, tags: new Set(['a']), bytes: new Uint8Array([1, 2]), bare: Object.assign(Object.create(null), { k: 'v' }) };
    const copy = cloneRecord(original);
    expect(copy).toStrictEqual(structuredClone(original));
    expect(copy.when).toBeInstanceOf(Date);
    expect(copy.when).not.toBe(when);
    expect(Object.getPrototypeOf(copy.bare)).toBe(Object.prototype);
  });

  it('keeps a "__proto__" key as data and does not change the prototype', () => {
    const original = JSON.parse('{"__proto__": {"admin": true}, "x": 1}') as Record<string, unknown>;
    const copy = cloneRecord(original);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect((copy as { admin?: boolean }).admin).toBeUndefined();
    expect(copy['__proto__']).toEqual({ admin: true });
  });

  it('handles cycles and great depth as structuredClone does', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const copy = cloneRecord(cyclic);
    expect(copy.self).toBe(copy);
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 200; i++) deep = { next: deep };
    expect(cloneRecord(deep)).toStrictEqual(deep);
  });

  it('throws as structuredClone does for functions', () => {
    expect(() => cloneRecord({ run: () => 1 })).toThrow(/could not be cloned/);
  });
});

describe('timeParam', () => {
  it('gives canonical UTC ISO for ISO 8601 inside 0001–9999, and names the field for anything else', () => {
    expect(timeParam('2026-01-02T03:04:05+02:00', 'since')).toBe('2026-01-02T01:04:05.000Z');
    expect(timeParam('2026-01-02', 'since')).toBe('2026-01-02T00:00:00.000Z');
    for (const value of ['1', '2024', 'Tue, 1 Nov 2022 10:00:00 +0100', '0000-01-01T00:00:00Z', '-000712-05-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z']) {
      let fields: string[] | undefined;
      try {
        timeParam(value, 'since');
      } catch (error) {
        if (isAetherError(error)) fields = error.errors?.map((e) => e.field);
      }
      expect(fields, value).toEqual(['since']);
    }
  });
});
