import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonWithout } from './canonical-json.js';

/** The definition, written the obvious way: what the fast encoder must always agree with. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, member]) => member !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${reference(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('canonicalJson', () => {
  it('sorts members at every depth, so member order never changes the bytes', () => {
    const a = canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } });
    const b = canonicalJson({ a: { c: 'x', d: [1, { y: null, z: true }] }, b: 1 });
    expect(a).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}');
    expect(b).toBe(a);
  });

  it('drops undefined members and escapes strings as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 'line\n"quoted"' })).toBe('{"b":"line\\n\\"quoted\\""}');
  });

  it('agrees with the obvious encoding for any JSON value, keys with any UTF-16 units included', () => {
    const json = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    fc.assert(
      fc.property(json, (value) => canonicalJson(value) === reference(value)),
      { numRuns: 500 },
    );
  });

  it('leaves out only the named top-level member (an event hashed without its own hash)', () => {
    const event = { hash: 'h', seq: 1, details: { hash: 'kept' } };
    expect(canonicalJsonWithout(event, 'hash')).toBe('{"details":{"hash":"kept"},"seq":1}');
    expect(canonicalJsonWithout(event, 'hash')).toBe(canonicalJson({ seq: 1, details: { hash: 'kept' } }));
  });

  it('refuses values that have no canonical form', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});
