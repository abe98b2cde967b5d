import { describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { checkStorableEvent, checkTime, eventInputSchema, MAX_DATA_DEPTH, normalizeEvent, parseEventInput, parseTime, serializeData } from './envelope.js';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (isAetherError(e)) return e.errors?.map((x) => x.field);
    throw e;
  }
  throw new Error('expected a validation error');
};

describe('parseEventInput', () => {
  it('accepts the CloudEvents shape', () => {
    const { input, shape } = parseEventInput({ type: 'a.b', source: 'svc', data: { x: 1 }, severity: 'error' });
    expect(shape).toBe('cloudevents');
    expect(input).toMatchObject({ type: 'a.b', source: 'svc', data: { x: 1 }, severity: 'error' });
  });

  it('maps the seed shape', () => {
    const { input, shape } = parseEventInput({
      event_type: 'lead.created',
      source: 'crm',
      payload: { lead_id: 7 },
      tenant_id: 'acme',
      timestamp: '2025-11-04T15:14:23.000000',
      event_id: 'e-1',
    });
    expect(shape).toBe('seed');
    expect(input).toEqual({ type: 'lead.created', source: 'crm', data: { lead_id: 7 }, tenantid: 'acme', time: '2025-11-04T15:14:23.000000', id: 'e-1' });
  });

  it('names the field the publisher used', () => {
    expect(fieldsOf(() => parseEventInput({ source: 'x' }))).toEqual(['type']);
    expect(fieldsOf(() => parseEventInput({ type: 'a.b', source: 'x', severity: 'loud' }))).toEqual(['severity']);
    expect(fieldsOf(() => parseEventInput({ event_type: 'a.b', source: 'x', severity: 'loud' }))).toEqual(['severity']);
    expect(fieldsOf(() => parseEventInput({ event_type: 'not a type!', source: 'x' }))).toEqual(['event_type']);
    expect(fieldsOf(() => parseEventInput({ type: 'a.b', source: 'x', colour: 'red' }))).toEqual(['colour']);
    expect(fieldsOf(() => parseEventInput({ type: 'a.b' }))).toEqual(['source']);
    expect(fieldsOf(() => parseEventInput({ type: 'a.b', source: 'x', time: 'yesterday' }))).toEqual(['time']);
    expect(fieldsOf(() => parseEventInput([1, 2]))).toEqual(['body']);
    expect(fieldsOf(() => parseEventInput('text'))).toEqual(['body']);
  });
});

/** Data nested `levels` deep (objects in objects). */
const nested = (levels: number) => {
  let data: unknown = 1;
  for (let i = 0; i < levels; i++) data = { a: data };
  return data;
};

describe('what every store can keep', () => {
  it('refuses data nested deeper than MAX_DATA_DEPTH, naming data or payload, without overflowing the stack', () => {
    // 5,000 levels is a 30 KB body that JSON.parse reads and JSON.stringify cannot write.
    const deep = JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`) as unknown;
    expect(fieldsOf(() => parseEventInput({ type: 'a.b', source: 'x', data: deep }))).toEqual(['data']);
    expect(fieldsOf(() => parseEventInput({ type: 'a.b', source: 'x', data: nested(MAX_DATA_DEPTH + 1) }))).toEqual(['data']);
    expect(fieldsOf(() => parseEventInput({ event_type: 'a.b', source: 'x', payload: nested(MAX_DATA_DEPTH + 1) }))).toEqual(['payload']);
    expect(parseEventInput({ type: 'a.b', source: 'x', data: nested(MAX_DATA_DEPTH) }).input.data).toEqual(nested(MAX_DATA_DEPTH));
  });

  it('refuses times outside 0001–9999 UTC, naming time or timestamp', () => {
    for (const time of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-01:00']) {
      expect(fieldsOf(() => parseEventInput({ type: 'a.b', source: 'x', time })), time).toEqual(['time']);
      expect(fieldsOf(() => parseEventInput({ event_type: 'a.b', source: 'x', timestamp: time })), time).toEqual(['timestamp']);
    }
    expect(fieldsOf(() => normalizeEvent({ type: 'a.b', source: 'x', time: '0000-06-01T00:00:00Z' }, { now: 0, newId: () => 'x' }))).toEqual(['time']);
    const edge = normalizeEvent({ type: 'a.b', source: 'x', time: '0001-01-01T00:00:00Z' }, { now: 0, newId: () => 'x' });
    expect(edge.time).toBe('0001-01-01T00:00:00.000Z');
    expect(parseEventInput({ type: 'a.b', source: 'x', time: '9999-12-31T23:59:59.999Z' }).input.time).toBe('9999-12-31T23:59:59.999Z');
  });

  it('reads ISO 8601 only, not what Date.parse also takes', () => {
    for (const loose of ['1', '2024', 'Tue, 1 Nov 2022 10:00:00 +0100', 'May 5 2024', '2024-02-30T00:00:00Z', '2026-01-01T00:00:00z', '']) {
      expect(parseTime(loose), loose).toBeNaN();
    }
    expect(parseTime('2026-01-02')).toBe(Date.parse('2026-01-02T00:00:00Z'));
    expect(parseTime('2026-01-02T03:04')).toBe(Date.parse('2026-01-02T03:04:00Z'));
    expect(parseTime('2026-01-02T03:04:05+02:00')).toBe(Date.parse('2026-01-02T01:04:05Z'));
  });

  it('names the field and where it was when a time is refused', () => {
    expect(checkTime('2026-01-02T00:00:00Z', 'since', 'query')).toBe(Date.parse('2026-01-02T00:00:00Z'));
    try {
      checkTime('0000-01-01', 'since', 'query');
      expect.unreachable();
    } catch (error) {
      expect(isAetherError(error) && error.errors).toEqual([{ field: 'since', message: 'must be between 0001-01-01 and 9999-12-31 (UTC)', in: 'query' }]);
    }
  });

  it('checks an event for the stores: a date-time inside the range, data not too deep', () => {
    expect(() => checkStorableEvent({ time: '2026-01-01T00:00:00.000Z', data: nested(MAX_DATA_DEPTH) })).not.toThrow();
    expect(() => checkStorableEvent({ time: '0001-01-01T00:30:00+00:30', data: null })).not.toThrow();
    for (const time of ['2026-01-01', '2024', '0000-12-31T23:59:59.999Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00']) {
      expect(fieldsOf(() => checkStorableEvent({ time, data: null })), time).toEqual(['time']);
    }
    expect(fieldsOf(() => checkStorableEvent({ time: '2026-01-01T00:00:00Z', data: [nested(MAX_DATA_DEPTH)] }))).toEqual(['data']);
  });

  it('serializes data once, refusing what JSON cannot hold as data', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(serializeData({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    expect(serializeData(undefined)).toBe('null');
    expect(fieldsOf(() => serializeData(cyclic))).toEqual(['data']);
    expect(fieldsOf(() => serializeData({ n: 1n }))).toEqual(['data']);
    expect(fieldsOf(() => serializeData(nested(5000)))).toEqual(['data']);
  });
});

describe('normalizeEvent', () => {
  const now = Date.parse('2026-03-01T10:00:00.000Z');
  it('fills id, time, severity, datacontenttype and null data', () => {
    const event = normalizeEvent({ type: 'a.b', source: 's' }, { now, newId: () => 'id-1' });
    expect(event).toEqual({
      specversion: '1.0', id: 'id-1', source: 's', type: 'a.b', time: '2026-03-01T10:00:00.000Z',
      datacontenttype: 'application/json', data: null, severity: 'info',
    });
  });
  it('normalizes times to UTC and reads offset-less times as UTC', () => {
    expect(normalizeEvent({ type: 'a.b', source: 's', time: '2026-03-01T12:00:00+02:00' }, { now, newId: () => 'x' }).time).toBe('2026-03-01T10:00:00.000Z');
    expect(parseTime('2025-11-04T15:14:23.000000')).toBe(Date.parse('2025-11-04T15:14:23.000Z'));
  });
});

describe('parseEventInput fast path', () => {
  // The hand check must accept exactly what the schema accepts; compare them on a spread of inputs.
  const inputs: unknown[] = [
    { type: 'a.b', source: 's' },
    { type: 'a.b', source: 's', id: 'x', severity: 'critical', data: { n: 1 }, tenantid: 't', subject: '', datacontenttype: 'application/json', dataschema: 'https://x', specversion: '1.0' },
    { type: 'a.b', source: '' },
    { type: 'bad type', source: 's' },
    { type: 'a.b', source: 's', severity: 'loud' },
    { type: 'a.b', source: 's', specversion: '0.3' },
    { type: 'a.b', source: 's', id: '' },
    { type: 'a.b', source: 's', id: 'x'.repeat(201) },
    { type: 'a.b', source: 's', tenantid: '' },
    { type: 'a.b', source: 's', extra: 1 },
    { type: 'a.b', source: 's', subject: 5 },
    { type: 'a.b', source: 's', data: undefined },
    { type: 'x'.repeat(201), source: 's' },
    { type: 'a.b', source: 's', time: '2026-01-01T00:00:00Z', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    { type: 'a.b', source: 's', constructor: 'x' },
    { type: 'a.b', source: 's', toString: 'x' },
    { type: 'a.b', source: 'lone \ud800 surrogate' },
    { type: 'a.b', source: 's', id: 'nul\u0000inside' },
    { type: 'a.b', source: 's', subject: 'emoji 🚀 fine' },
    { type: 'a.b', source: 's', data: nested(MAX_DATA_DEPTH) },
    { type: 'a.b', source: 's', data: nested(MAX_DATA_DEPTH + 1) },
    { type: 'a.b', source: 's', data: [[[[nested(MAX_DATA_DEPTH - 3)]]]] },
    { type: 'a.b', source: 's', time: '0000-01-01T00:00:00Z' },
  ];
  it('accepts and rejects exactly what the schema does', () => {
    for (const input of inputs) {
      const bySchema = eventInputSchema.safeParse(input).success;
      let byParse = true;
      try {
        parseEventInput(input);
      } catch {
        byParse = false;
      }
      expect(byParse, JSON.stringify(input)).toBe(bySchema);
    }
  });
});
