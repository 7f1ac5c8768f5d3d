import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

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

  it('refuses values that have no canonical form', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
  });
});
