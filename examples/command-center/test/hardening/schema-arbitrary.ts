// fast-check arbitraries from the JSON Schemas of the served OpenAPI document: values a schema accepts, and hostile
// values to put in their place.
import fc from 'fast-check';

type Schema = Record<string, any>;

/** Values for properties by name, where a route checks more than its JSON Schema can say (a URL, a time zone). */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

/** What the reference server's routes check beyond their schemas, so most generated bodies pass before they are spoiled. */
export const HINTS: Hints = {
  url: fc.constantFrom('http://10.0.0.7:8080', 'https://billing.internal.test'),
  health_url: fc.constantFrom('http://10.0.0.7:8080/health', null),
  check: fc.constant(null),
  group_by: fc.uniqueArray(fc.constantFrom('source', 'tenant', 'event_type', 'severity', 'subject'), { maxLength: 3 }),
  timezone: fc.constantFrom('UTC', 'Europe/Berlin'),
  intent: fc.constantFrom('extract-lead', 'summarize-activity', 'classify-intent', 'no-such-intent'),
};

/**
 * Values the schema describes (lengths and sizes kept small). `$ref`s resolve against `root`; `hints` take the place
 * of properties by name.
 * @example fc.sample(validOf(op.requestBody.content['application/json'].schema, doc), 1)
 */
export function validOf(schema: Schema | undefined, root: Schema = {}, depth = 0, hints: Hints = HINTS): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).filter((k) => k !== 'description' && k !== '$schema' && k !== 'default').length === 0) {
    return depth > 2 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
  if (schema.$ref) return validOf(resolveRef(schema.$ref, root), root, depth, hints);
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (branches) return fc.oneof(...branches.map((b) => validOf(b, root, depth, hints)));
  if (schema.allOf) return validOf(Object.assign({}, ...(schema.allOf as Schema[])), root, depth, hints);
  const type = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => validOf({ ...schema, type: t }, root, depth, hints)));
  switch (type[0]) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: bound(schema, 'min', -1000), max: bound(schema, 'max', 1000) });
    case 'number':
      return fc.double({ min: bound(schema, 'min', -1000), max: bound(schema, 'max', 1000), noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validOf(schema.items, root, depth + 1, hints), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)) });
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      if (Object.keys(props).length === 0) {
        if (schema.additionalProperties === false) return fc.constant({});
        const values = typeof schema.additionalProperties === 'object' ? validOf(schema.additionalProperties, root, depth + 1, hints) : fc.string({ maxLength: 8 });
        return fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), values, { maxKeys: 3 });
      }
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries(props)) record[key] = hints[key] ?? validOf(sub, root, depth + 1, hints);
      return fc.record(record, { requiredKeys: (schema.required ?? []) as string[] });
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}

function bound(schema: Schema, side: 'min' | 'max', fallback: number): number {
  if (side === 'min') return typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : (schema.minimum ?? Math.min(fallback, schema.maximum ?? fallback));
  return typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : (schema.maximum ?? Math.max(fallback, schema.minimum ?? fallback));
}

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 24, 64);
  if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.format === 'uri') return fc.constantFrom('http://10.0.0.7:8080/hook', 'https://hooks.example.test/a');
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'email') return fc.constant('ops@example.test');
  if (schema.pattern) {
    // Bounded by the schema's own maximum only: a tighter one would make the filter reject most of what matches.
    const most = schema.maxLength ?? 1000;
    return fc.stringMatching(new RegExp(schema.pattern as string)).filter((s) => s.length >= min && s.length <= most);
  }
  return fc.string({ minLength: min, maxLength: Math.max(min, Math.min(max, 16)), unit: 'grapheme-ascii' });
}

function resolveRef(ref: string, root: Schema): Schema {
  return ref.replace(/^#\//, '').split('/').reduce<any>((at, key) => at?.[key], root) as Schema;
}

/** A hostile thing to do to a request body: replace a value, drop a key, add keys a parser must refuse, corrupt bytes. */
export type Mutation =
  | { kind: 'set'; at: number; value: unknown; label: string }
  | { kind: 'drop'; at: number }
  | { kind: 'proto'; at: number; key: '__proto__' | 'constructor' }
  | { kind: 'bad-utf8'; at: number }
  | { kind: 'root'; text: string; label: string }
  | { kind: 'oversize' };

const deep = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

/** Values of the wrong type, the wrong size or the wrong text, each with a label for the report. */
export const hostileValue: fc.Arbitrary<{ value: unknown; label: string }> = fc.oneof(
  fc.constantFrom(
    { value: 12345, label: 'a number' },
    { value: -1, label: 'minus one' },
    { value: 1e308, label: 'a huge number' },
    { value: true, label: 'a boolean' },
    { value: null, label: 'null' },
    { value: [], label: 'an empty array' },
    { value: {}, label: 'an empty object' },
    { value: '', label: 'an empty string' },
    { value: 'x'.repeat(20_000), label: 'a 20 000-character string' },
    { value: 'nul\u0000byte', label: 'a string with NUL' },
    { value: 'lone \ud800 surrogate', label: 'a lone surrogate' },
    { value: '\udfff', label: 'a lone low surrogate' },
    { value: '\u202e\u200b\ufeff', label: 'bidi and zero-width characters' },
    { value: deep(200), label: 'objects 200 deep' },
    { value: deep(2000), label: 'objects 2000 deep' },
    { value: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], label: 'arrays 30 deep' },
    { value: Array.from({ length: 5000 }, (_, i) => i), label: 'a 5000-item array' },
    { value: { __proto__x: 1, toString: 'x', valueOf: 'y', hasOwnProperty: 'z' }, label: 'keys shadowing Object methods' },
  ),
  fc.string({ unit: 'binary', maxLength: 40 }).map((value) => ({ value, label: 'arbitrary code points' })),
  fc.integer().map((value) => ({ value: String(value), label: 'a number as a string' })),
);

/** Whole bodies that are not what any route takes. */
export const hostileRoot: fc.Arbitrary<{ text: string; label: string }> = fc.constantFrom(
  { text: 'null', label: 'null' },
  { text: '[]', label: 'an array' },
  { text: '"text"', label: 'a string' },
  { text: '42', label: 'a number' },
  { text: '{', label: 'truncated JSON' },
  { text: '{"a":1}}', label: 'trailing garbage' },
  { text: '{"a":1,"a":2}', label: 'a duplicate key' },
  { text: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, label: 'arrays 20 000 deep' },
  { text: `{"__proto__":{"polluted":"yes"}}`, label: 'a __proto__ key at the top' },
  { text: '{"constructor":{"prototype":{"polluted":"yes"}}}', label: 'a constructor.prototype key at the top' },
  { text: '{}\u0000', label: 'a NUL after the JSON' },
);

/** One mutation, pointing at the n-th place (modulo) of the body's places. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.nat(), hostileValue).map(([at, v]) => ({ kind: 'set' as const, at, ...v })) },
  { weight: 1, arbitrary: fc.nat().map((at) => ({ kind: 'drop' as const, at })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('__proto__' as const, 'constructor' as const)).map(([at, key]) => ({ kind: 'proto' as const, at, key })) },
  { weight: 1, arbitrary: fc.nat().map((at) => ({ kind: 'bad-utf8' as const, at })) },
  { weight: 1, arbitrary: hostileRoot.map((r) => ({ kind: 'root' as const, ...r })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'oversize' as const }) },
);
