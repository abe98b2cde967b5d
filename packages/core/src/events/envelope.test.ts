import { describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { eventInputSchema, normalizeEvent, parseEventInput, parseTime } from './envelope.js';

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
