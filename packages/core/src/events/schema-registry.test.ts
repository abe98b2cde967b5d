import { describe, expect, it } from 'vitest';
import { BUILTIN_EVENT_TYPES } from './builtin-types.js';
import { createSchemaRegistry } from './schema-registry.js';
import { JOB_FAILED } from '../testing/event-types.js';

describe('createSchemaRegistry', () => {
  it("holds core's own type; every other package's types come with its module", () => {
    expect(createSchemaRegistry().list().map((d) => d.type)).toEqual(['security.rbac.violation']);
    expect(BUILTIN_EVENT_TYPES.map((d) => d.type)).toEqual(['security.rbac.violation']);
    expect(createSchemaRegistry({ builtins: false }).list()).toEqual([]);
  });

  it('describes a type with a JSON Schema of its data, and tells shipped types from an app\'s own', () => {
    const registry = createSchemaRegistry();
    registry.register(JOB_FAILED, { builtin: true });
    registry.register({ type: 'order.paid', description: 'An order was paid.', schema: JOB_FAILED.schema });
    const described = registry.describe('job.failed');
    expect(described).toMatchObject({ type: 'job.failed', builtin: true, default_severity: 'error' });
    expect(described!.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['service', 'error']) });
    expect(registry.describe('order.paid')).toMatchObject({ builtin: false, default_severity: 'info' });
  });

  it('keeps extra fields in built-in data', () => {
    const data = createSchemaRegistry().validate('security.rbac.violation', { method: 'GET', path: '/x', permission: 'ops:read', roles: [], extra: 'kept' });
    expect(data).toMatchObject({ extra: 'kept' });
  });

  it('rejects badly named types', () => {
    expect(() => createSchemaRegistry().register({ type: 'bad name', description: '', schema: {} as never })).toThrow(/bad name/);
  });
});
