import { describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { normalizeEvent, parseEventInput, parseTime } from './envelope.js';

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
