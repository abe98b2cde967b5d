import { rejection } from '@aetherlink/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createManualClock } from '../clock.js';
import { alertRulesCollection } from './alert-rules.js';
import { collection, defineCollection } from './collection.js';
import { memoryDocumentStore } from './memory/documents.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

describe('defineCollection and collection()', () => {
  it('validates data with the schema before writing, naming the field under data', async () => {
    const items = collection(memoryDocumentStore(), defineCollection({ name: 'items', schema: z.object({ title: z.string().min(1), done: z.boolean() }), indexes: ['done'] }));
    const error = await rejection(items.create({ id: 'i1', data: { title: '', done: false } }));
    expect(error.code).toBe('validation_failed');
    expect(error.errors).toEqual([{ field: 'data.title', message: expect.any(String) }]);
    expect(await items.get('i1')).toBeNull();
    // The schema's output is what is stored: unknown keys are stripped.
    const created = await items.create({ id: 'i2', data: { title: 'x', done: false, extra: 1 } as never });
    expect(created.data).toEqual({ title: 'x', done: false });
    expect((await items.list({ where: { done: false } })).map((d) => d.id)).toEqual(['i2']);
  });

  it('creates with a UUIDv7 id by default, refuses a taken id, and stamps times from the store clock', async () => {
    const clock = createManualClock(T0);
    const notes = collection(memoryDocumentStore({ clock }), defineCollection<{ text: string }>({ name: 'notes' }));
    const a = await notes.create({ data: { text: 'a' } });
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(a.created_at).toBe(new Date(T0).toISOString());
    expect((await rejection(notes.create({ id: a.id, data: { text: 'b' } }))).code).toBe('conflict');
    clock.advance(5000);
    const b = await notes.put({ id: a.id, data: { text: 'c' } }, { ifVersion: a.version });
    expect(b).toMatchObject({ created_at: new Date(T0).toISOString(), updated_at: new Date(T0 + 5000).toISOString() });
  });

  it('update() retries on a version conflict, so racing updates all land; null for a missing document', async () => {
    const counters = collection(memoryDocumentStore(), defineCollection<{ n: number }>({ name: 'counters' }));
    await counters.create({ id: 'c', data: { n: 0 } });
    await Promise.all(Array.from({ length: 8 }, () => counters.update('c', (d) => ({ n: d.n + 1 }), { attempts: 20 })));
    expect((await counters.get('c'))!.data.n).toBe(8);
    expect(await counters.update('ghost', (d) => d)).toBeNull();
  });

  it('update() gives up after its attempts with the conflict, and never retries a unique conflict', async () => {
    const store = memoryDocumentStore();
    const users = collection(store, defineCollection<{ email: string; n: number }>({ name: 'users', unique: ['email'] }));
    await users.create({ id: 'u1', data: { email: 'a@x', n: 0 } });
    await users.create({ id: 'u2', data: { email: 'b@x', n: 0 } });
    let calls = 0;
    const taken = await rejection(users.update('u2', (d) => (calls++, { ...d, email: 'a@x' })));
    expect(taken.details).toMatchObject({ conflict: 'unique', field: 'email' });
    expect(calls).toBe(1);
    // A writer that always gets in between: every attempt conflicts.
    calls = 0;
    const busy = await rejection(users.update('u1', async (d) => {
      calls++;
      await users.put({ id: 'u1', data: { ...d, n: d.n + 100 } });
      return { ...d, n: -1 };
    }, { attempts: 3 }));
    expect(busy.details).toMatchObject({ conflict: 'version' });
    expect(calls).toBe(3);
  });

  it('refuses a bad declaration at once with config_invalid', () => {
    expect(() => defineCollection({ name: 'no spaces please' })).toThrow(expect.objectContaining({ code: 'config_invalid' }));
    expect(() => defineCollection<{ a: string }>({ name: 'ok', indexes: ['' as 'a'] })).toThrow(/indexes/);
  });

  it('keeps alert rule names unique and lists rules by enabled', async () => {
    const rules = collection(memoryDocumentStore(), alertRulesCollection);
    const spike = await rules.create({ data: { name: 'spike', enabled: true, spec: { threshold: 3 }, state: null } });
    await rules.create({ data: { name: 'quiet', enabled: false, spec: {}, state: null } });
    const dup = await rejection(rules.create({ data: { name: 'spike', enabled: true, spec: {}, state: null } }));
    expect(dup.errors).toEqual([{ field: 'name', message: 'is already taken' }]);
    expect((await rules.list({ where: { enabled: true } })).map((r) => r.data.name)).toEqual(['spike']);
    const fired = await rules.update(spike.id, (r) => ({ ...r, state: { firing_since: '2026-03-01T12:00:00.000Z' } }));
    expect(fired!.data.state).toEqual({ firing_since: '2026-03-01T12:00:00.000Z' });
    expect((await rejection(rules.create({ data: { name: '', enabled: true, spec: {}, state: null } }))).errors?.[0]?.field).toBe('data.name');
  });
});
