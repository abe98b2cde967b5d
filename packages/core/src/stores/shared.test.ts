import { describe, expect, it } from 'vitest';
import { cloneRecord } from './shared.js';

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
