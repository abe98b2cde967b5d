import { describe, expect, it } from 'vitest';
import { isVersionConflict } from '../stores/documents.js';
import type { CollectionSpec, DocumentStore } from '../stores/types.js';
import type { StoreFactory } from './event-store-contract.js';
import { rejection, withStore } from './helpers.js';
import { describeDocumentRaces } from './document-store-races.js';

const things: CollectionSpec = { name: 'things', indexes: ['kind', 'size', 'open'], unique: ['slug'] };

/**
 * The DocumentStore contract: every implementation (memory, SQLite, PostgreSQL) runs it. Give the factory a
 * `peer` (a second handle on the same data, through its own connections) to race writers across processes.
 * @example describeDocumentStoreContract('memory', () => ({ store: memoryDocumentStore() }))
 */
export function describeDocumentStoreContract(name: string, factory: StoreFactory<DocumentStore>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    const s = withStore(factory);
    const put = (id: string, data: Record<string, unknown>, ifVersion?: number) =>
      s.get().put(things, { id, data }, ifVersion === undefined ? {} : { ifVersion });

    it('creates only when absent with ifVersion 0, refusing a taken id with a typed conflict', async () => {
      const doc = await put('a', { kind: 'x' }, 0);
      expect(doc).toMatchObject({ id: 'a', data: { kind: 'x' } });
      expect(doc.version).toBeGreaterThan(0);
      expect(doc.created_at).toBe(doc.updated_at);
      expect(new Date(doc.created_at).toISOString()).toBe(doc.created_at);
      expect(await s.get().get(things, 'a')).toEqual(doc);
      const error = await rejection(put('a', { kind: 'y' }, 0));
      expect(error.code).toBe('conflict');
      expect(error.details).toMatchObject({ conflict: 'version', collection: 'things', id: 'a', expected: 0, actual: doc.version });
      expect(isVersionConflict(error)).toBe(true);
      expect((await s.get().get('things', 'a'))!.data).toEqual({ kind: 'x' });
      expect(await s.get().get(things, 'missing')).toBeNull();
      expect(await s.get().get('never_used', 'a')).toBeNull();
    });

    it('compare-and-set: the current version wins, a stale one is refused and changes nothing', async () => {
      const v1 = await put('a', { kind: 'x', n: 1 }, 0);
      const v2 = await put('a', { kind: 'x', n: 2 }, v1.version);
      expect(v2.version).toBeGreaterThan(v1.version);
      expect(v2.created_at).toBe(v1.created_at);
      expect(v2.updated_at >= v1.updated_at).toBe(true);
      const stale = await rejection(put('a', { kind: 'x', n: 99 }, v1.version));
      expect(stale.details).toMatchObject({ conflict: 'version', expected: v1.version, actual: v2.version });
      expect(await s.get().get(things, 'a')).toEqual(v2);
      const ghost = await rejection(put('ghost', { n: 1 }, 5));
      expect(ghost.details).toMatchObject({ conflict: 'version', id: 'ghost', expected: 5, actual: 0 });
      expect(await s.get().get(things, 'ghost')).toBeNull();
    });

    it('puts without ifVersion unconditionally, creating or replacing', async () => {
      const created = await put('u', { n: 1 });
      const replaced = await put('u', { m: 2 });
      expect(replaced.version).toBeGreaterThan(created.version);
      expect((await s.get().get(things, 'u'))!.data).toEqual({ m: 2 });
    });

    it('removes unconditionally or by version, and never reuses a version after a remove', async () => {
      expect(await s.get().remove(things, 'r')).toBe(false);
      expect(await s.get().remove(things, 'r', { ifVersion: 0 })).toBe(false);
      expect((await rejection(s.get().remove(things, 'r', { ifVersion: 3 }))).details).toMatchObject({ expected: 3, actual: 0 });
      const v1 = await put('r', { n: 1 }, 0);
      const v2 = await put('r', { n: 2 }, v1.version);
      expect((await rejection(s.get().remove(things, 'r', { ifVersion: v1.version }))).code).toBe('conflict');
      expect((await rejection(s.get().remove('things', 'r', { ifVersion: 0 }))).details).toMatchObject({ actual: v2.version });
      expect(await s.get().get(things, 'r')).not.toBeNull();
      expect(await s.get().remove('things', 'r', { ifVersion: v2.version })).toBe(true);
      expect(await s.get().get(things, 'r')).toBeNull();
      const again = await put('r', { n: 3 }, 0);
      expect(again.version).toBeGreaterThan(v2.version);
      expect(await s.get().remove(things, 'r')).toBe(true);
      expect(await s.get().remove(things, 'r')).toBe(false);
    });

    it('lists by id, filtered on declared fields, paged with limit and after', async () => {
      await put('c', { kind: 'x', size: 2, open: true });
      await put('a', { kind: 'x', size: '2', open: false });
      await put('e', { kind: 'y', size: 2, open: true });
      await put('b', { size: 3 });
      await put('d', { kind: 'x', size: 2, open: true });
      const ids = async (query: Parameters<DocumentStore['list']>[1]) => (await s.get().list(things, query)).map((d) => d.id);
      expect(await ids({})).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await ids({ where: { kind: 'x' } })).toEqual(['a', 'c', 'd']);
      expect(await ids({ where: { kind: 'x', open: true } })).toEqual(['c', 'd']);
      expect(await ids({ where: { size: 2 } })).toEqual(['c', 'd', 'e']);
      expect(await ids({ where: { size: '2' } })).toEqual(['a']);
      expect(await ids({ where: { kind: null } })).toEqual(['b']);
      expect(await ids({ where: { kind: 'z' } })).toEqual([]);
      expect(await ids({ limit: 2 })).toEqual(['a', 'b']);
      expect(await ids({ limit: 2, after: 'b' })).toEqual(['c', 'd']);
      expect(await ids({ limit: 2, after: 'd' })).toEqual(['e']);
      expect(await ids({ after: 'e' })).toEqual([]);
      expect(await ids({ where: { kind: 'x' }, after: 'a', limit: 1 })).toEqual(['c']);
      await put('c', { kind: 'y', size: 2, open: true });
      await s.get().remove(things, 'd');
      expect(await ids({ where: { kind: 'x' } })).toEqual(['a']);
      expect(await ids({ where: { kind: 'y' } })).toEqual(['c', 'e']);
      expect((await s.get().list(things, { where: { kind: 'y' } }))[0]).toEqual(await s.get().get(things, 'c'));
      expect(await s.get().list({ name: 'empty_one' })).toEqual([]);
      // Code point order, as UTF-8 databases sort: U+FFFD before U+1F680 (JavaScript's < says otherwise).
      for (const id of ['a\u{1F680}', 'a\uFFFD', 'a~']) await s.get().put({ name: 'ordered' }, { id, data: {} });
      expect((await s.get().list({ name: 'ordered' })).map((d) => d.id)).toEqual(['a~', 'a\uFFFD', 'a\u{1F680}']);
      expect((await s.get().list({ name: 'ordered' }, { after: 'a\uFFFD' })).map((d) => d.id)).toEqual(['a\u{1F680}']);
    });

    it('refuses a where on a field the collection does not declare, and other bad input, naming the field', async () => {
      const field = async (promise: Promise<unknown>) => {
        const error = await rejection(promise);
        expect(error.code).toBe('validation_failed');
        return error.errors?.[0]?.field;
      };
      expect(await field(s.get().list(things, { where: { color: 'red' } }))).toBe('where.color');
      expect(await field(s.get().list({ name: 'things' }, { where: { kind: 'x' } }))).toBe('where.kind');
      expect(await field(s.get().list(things, { where: { kind: { a: 1 } as never } }))).toBe('where.kind');
      expect(await field(s.get().list(things, { limit: 0 }))).toBe('limit');
      expect(await field(put('n', { kind: { nested: true } }))).toBe('data.kind');
      expect(await field(put('n', { size: [1, 2] }))).toBe('data.size');
      expect(await field(put('', { kind: 'x' }))).toBe('id');
      expect(await field(s.get().put(things, { id: 'n', data: [1] as never }))).toBe('data');
      expect(await field(put('n', {}, -1))).toBe('ifVersion');
      expect(await field(put('n', {}, 1.5))).toBe('ifVersion');
      expect(await field(s.get().put({ name: 'bad name!' }, { id: 'n', data: {} }))).toBe('collection');
      expect(await field(s.get().get('', 'n'))).toBe('collection');
      expect(await s.get().get(things, 'n')).toBeNull();
    });

    it('keeps unique fields unique: a taken value is conflict, a freed one can be taken, null never collides', async () => {
      await put('a', { slug: 's1' });
      const taken = await rejection(put('b', { slug: 's1' }));
      expect(taken.code).toBe('conflict');
      expect(taken.errors).toEqual([{ field: 'slug', message: 'is already taken' }]);
      expect(taken.details).toMatchObject({ conflict: 'unique', collection: 'things', id: 'b', field: 'slug', existing_id: 'a' });
      expect(isVersionConflict(taken)).toBe(false);
      expect(await s.get().get(things, 'b')).toBeNull();
      await put('a', { slug: 's1', n: 2 });
      await put('a', { slug: 's2' });
      await put('b', { slug: 's1' });
      expect((await rejection(put('c', { slug: 's2' }))).code).toBe('conflict');
      await s.get().remove(things, 'a');
      await put('c', { slug: 's2' });
      await put('d', { slug: null });
      await put('e', {});
      await put('f', { slug: null });
      await s.get().put({ name: 'other_things', unique: ['slug'] }, { id: 'x', data: { slug: 's1' } });
      expect((await s.get().list(things, { where: { slug: 's1' } })).map((d) => d.id)).toEqual(['b']);
      expect((await s.get().list(things, { where: { slug: null } })).map((d) => d.id)).toEqual(['d', 'e', 'f']);
      // Long values are keyed too (by hash where a database index could not hold them), and stay exact.
      const long = `${'ü'.repeat(3000)}!`;
      await put('g', { slug: long, kind: `${long}k` });
      expect((await rejection(put('h', { slug: long }))).details).toMatchObject({ conflict: 'unique', existing_id: 'g' });
      await put('h', { slug: `${long}?` });
      expect((await s.get().list(things, { where: { slug: long } })).map((d) => d.id)).toEqual(['g']);
      expect((await s.get().list(things, { where: { kind: `${long}k` } })).map((d) => d.id)).toEqual(['g']);
    });

    it('moves the change version with every change, and not on reads or refused writes', async () => {
      const other: CollectionSpec = { name: 'others' };
      const v0 = await s.get().version();
      const doc = await put('a', { slug: 'x' });
      const v1 = await s.get().version();
      const c1 = await s.get().version(things);
      expect(v1).toBeGreaterThan(v0);
      await s.get().get(things, 'a');
      await s.get().list(things, { where: { slug: 'x' } });
      await rejection(put('a', {}, doc.version + 1));
      await rejection(put('b', { slug: 'x' }));
      expect(await s.get().remove(things, 'nothing')).toBe(false);
      expect(await s.get().version()).toBe(v1);
      await put('a', { slug: 'y' }, doc.version);
      const v2 = await s.get().version();
      expect(v2).toBeGreaterThan(v1);
      await s.get().put(other, { id: 'o', data: {} });
      const v3 = await s.get().version();
      expect(v3).toBeGreaterThan(v2);
      expect(await s.get().version(things)).toBeGreaterThan(c1);
      const c2 = await s.get().version('things');
      expect(await s.get().version(other)).toBeGreaterThan(0);
      await s.get().remove(things, 'a');
      expect(await s.get().version()).toBeGreaterThan(v3);
      expect(await s.get().version(things)).toBeGreaterThan(c2);
      expect(await s.get().version('never_used')).toBe(0);
    });

    it('round-trips JSON exactly: nesting, key order, unicode, NUL, null, numbers, a "__proto__" key', async () => {
      const data = JSON.parse(
        '{"z":1,"a":{"deep":{"list":[1,"two",null,{"three":3}],"empty":{},"none":[]}},"__proto__":{"x":1},' +
          '"text":"héllo — 日本語 🚀 \\u0000 \\"q\\" \\\\ \\n\\t","nothing":null,"neg":-12.5e-3,"max":9007199254740991,"flag":false,"zero":0}',
      ) as Record<string, unknown>;
      const stored = await s.get().put({ name: 'json' }, { id: 'ü-🚀', data });
      const got = (await s.get().get('json', 'ü-🚀'))!;
      expect(got).toEqual(stored);
      expect(got.data).toStrictEqual(data);
      expect(Object.keys(got.data)).toEqual(Object.keys(data));
      expect(Object.getPrototypeOf(got.data)).toBe(Object.prototype);
      // JSON semantics: undefined members are dropped, dates become strings.
      const loose = await s.get().put({ name: 'json' }, { id: 'loose', data: { keep: 1, drop: undefined, when: new Date(0) } });
      expect(loose.data).toStrictEqual({ keep: 1, when: '1970-01-01T00:00:00.000Z' });
      expect((await s.get().get('json', 'loose'))!.data).toStrictEqual(loose.data);
    });

    it('works on a collection never seen before, with no setup, and rebuilds keys when a declaration changes', async () => {
      const fresh = `fresh_${Math.random().toString(36).slice(2, 10)}`;
      await s.get().put({ name: fresh }, { id: '1', data: { team: 'a', code: 'k' } });
      await s.get().put({ name: fresh }, { id: '2', data: { team: 'b', code: 'k' } });
      await s.get().put({ name: fresh }, { id: '3', data: { team: 'a', code: 'm' } });
      expect((await s.get().list({ name: fresh })).map((d) => d.id)).toEqual(['1', '2', '3']);
      const byTeam = { name: fresh, indexes: ['team'] };
      expect((await s.get().list(byTeam, { where: { team: 'a' } })).map((d) => d.id)).toEqual(['1', '3']);
      // Declaring a unique field the documents already break is refused, and the collection stays usable.
      const byCode = { name: fresh, unique: ['code'] };
      expect((await rejection(s.get().list(byCode, { where: { code: 'k' } }))).details).toMatchObject({ conflict: 'unique', field: 'code' });
      expect((await rejection(s.get().put(byCode, { id: '4', data: { code: 'n' } }))).code).toBe('conflict');
      expect((await s.get().list(byTeam, { where: { team: 'b' } })).map((d) => d.id)).toEqual(['2']);
      await s.get().remove(byTeam, '2');
      expect((await s.get().list(byCode, { where: { code: 'k' } })).map((d) => d.id)).toEqual(['1']);
      expect((await rejection(s.get().put(byCode, { id: '4', data: { code: 'm' } }))).details).toMatchObject({ existing_id: '3' });
    });

    describeDocumentRaces(s);
  });
}
