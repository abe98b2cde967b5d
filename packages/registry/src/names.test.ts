import { isAetherError } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { instanceServiceName } from './names.js';
import { SERVICE_NAME_PATTERN } from './schemas.js';

describe('instanceServiceName', () => {
  it('joins the service name and the instance id', () => {
    expect(instanceServiceName('command-center', 'host-1-4f2a')).toBe('command-center-host-1-4f2a');
  });

  it('makes the instance id safe for a name', () => {
    expect(instanceServiceName('cc', 'pod/cc-7d9f:8010')).toBe('cc-pod-cc-7d9f-8010');
    expect(instanceServiceName('cc', '--host.')).toBe('cc-host');
    expect(instanceServiceName('cc', 'über host')).toBe('cc-ber-host');
    // Nothing usable left: the service name alone.
    expect(instanceServiceName('cc', '/:/')).toBe('cc');
  });

  it('keeps the end of a long instance id and stays within 100 characters', () => {
    const id = `${'a'.repeat(50)}-0123456789abcdef0123456789abcdef`;
    expect(instanceServiceName('cc', id)).toBe(`cc-${id.slice(-39)}`);
    const long = instanceServiceName('s'.repeat(100), id);
    expect(long).toHaveLength(100);
    expect(long.endsWith(`-${id.slice(-39)}`)).toBe(true);
    // Cut where the service name had punctuation: no dangling separator before the id.
    expect(instanceServiceName(`${'s'.repeat(59)}.tail`, 'x'.repeat(39))).toBe(`${'s'.repeat(59)}-${'x'.repeat(39)}`);
  });

  it('always gives a name the registry accepts, different for different instances', () => {
    const instances = ['a', 'host-1', 'host-2', 'HOST_1', '10.0.0.7:8010', 'x'.repeat(80), '.-_', 'ab..cd', 'pod-' + 'z'.repeat(60) + '-1'];
    for (const service of ['cc', 'command-center', 'a.b_c-d', 'q'.repeat(100)]) {
      const names = instances.map((i) => instanceServiceName(service, i));
      for (const name of names) expect(name, name).toMatch(SERVICE_NAME_PATTERN);
      expect(new Set(names.filter((n) => n !== service)).size).toBe(names.filter((n) => n !== service).length);
    }
  });

  it('refuses a service name the registry would refuse, naming the field', () => {
    let error: unknown;
    try {
      instanceServiceName('bad name', 'host-1');
    } catch (e) {
      error = e;
    }
    expect(isAetherError(error) && error.code).toBe('validation_failed');
    expect((error as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['service']);
  });
});
