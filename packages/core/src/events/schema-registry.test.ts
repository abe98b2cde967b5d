import { describe, expect, it } from 'vitest';
import { BUILTIN_EVENT_TYPES } from './builtin-types.js';
import { createSchemaRegistry } from './schema-registry.js';

describe('createSchemaRegistry', () => {
  it('holds every built-in type of DESIGN §2', () => {
    const registry = createSchemaRegistry();
    const expected = [
      'service.registered', 'service.unregistered', 'service.health.failed', 'autoheal.attempted', 'autoheal.succeeded',
      'autoheal.failed', 'autoheal.skipped', 'autoheal.quarantined', 'autoheal.released', 'ai.provider.used',
      'ai.fallback.used', 'ai.fallback.failed', 'ops.alert.raised', 'ops.alert.resolved', 'lead.created',
      'ai.summary.created', 'security.rbac.violation',
    ];
    expect(registry.list().map((d) => d.type).sort()).toEqual([...expected].sort());
    expect(BUILTIN_EVENT_TYPES).toHaveLength(expected.length);
  });

  it('describes a type with a JSON Schema of its data', () => {
    const described = createSchemaRegistry().describe('autoheal.failed');
    expect(described).toMatchObject({ type: 'autoheal.failed', builtin: true, default_severity: 'error' });
    expect(described!.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['service', 'error']) });
  });

  it('keeps extra fields in built-in data', () => {
    const data = createSchemaRegistry().validate('lead.created', { lead_id: 1, extra: 'kept' });
    expect(data).toEqual({ lead_id: 1, extra: 'kept' });
  });

  it('rejects badly named types', () => {
    expect(() => createSchemaRegistry().register({ type: 'bad name', description: '', schema: {} as never })).toThrow(/bad name/);
  });
});
