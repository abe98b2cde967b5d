import { describe, expect, it } from 'vitest';
import { compareCodePoints, documentKeys, encodeIndexValue, resolveCollection } from './documents.js';

describe('document keys', () => {
  it('keeps values of different types apart and equal values equal', () => {
    const encoded = [1, '1', true, 'true', null, 'null', 0, -0, 1.5].map((v) => encodeIndexValue(v, 'f'));
    expect(new Set(encoded).size).toBe(encoded.length - 1); // 0 and -0 are one number
    expect(encodeIndexValue(undefined, 'f')).toBe(encodeIndexValue(null, 'f'));
  });

  it('hashes long values to a short, stable key that cannot be mistaken for JSON', () => {
    const long = encodeIndexValue('x'.repeat(1000), 'f');
    expect(long).toMatch(/^#[A-Za-z0-9_-]{43}$/);
    expect(encodeIndexValue('x'.repeat(1000), 'f')).toBe(long);
    expect(encodeIndexValue(`${'x'.repeat(999)}y`, 'f')).not.toBe(long);
  });

  it('refuses objects, arrays and non-finite numbers, naming the field', () => {
    for (const bad of [{}, [1], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => encodeIndexValue(bad, 'data.kind')).toThrow(expect.objectContaining({ code: 'validation_failed', errors: [expect.objectContaining({ field: 'data.kind' })] }));
    }
  });

  it('signs a declaration independently of order and duplicates, and marks only non-null unique keys', () => {
    const a = resolveCollection({ name: 'c', indexes: ['b', 'a', 'b'], unique: ['u'] });
    const b = resolveCollection({ name: 'c', indexes: ['a', 'b'], unique: ['u', 'u'] });
    expect(a.signature).toBe(b.signature);
    expect(a.signature).not.toBe(resolveCollection({ name: 'c', indexes: ['a', 'b', 'u'] }).signature);
    expect(documentKeys(a, { a: 1, u: null })).toEqual([
      { field: 'a', value: '1', unique: false },
      { field: 'b', value: 'null', unique: false },
      { field: 'u', value: 'null', unique: false },
    ]);
    expect(documentKeys(a, { u: 'x' }).find((k) => k.field === 'u')).toEqual({ field: 'u', value: '"x"', unique: true });
  });

  it('orders by code point, as UTF-8 databases do', () => {
    expect(['a\u{1F680}', 'a\uFFFD', 'a', 'b', 'a~'].sort(compareCodePoints)).toEqual(['a', 'a~', 'a\uFFFD', 'a\u{1F680}', 'b']);
  });
});
