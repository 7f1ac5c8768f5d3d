/**
 * Canonical JSON of the values an audit event holds (strings, finite numbers, booleans, null,
 * arrays and plain objects): members sorted by key at every depth, no whitespace, strings and
 * numbers as JSON.stringify writes them. This is RFC 8785 (JCS) for that subset, so the bytes an
 * event is hashed over do not depend on the order its members were written or read back in.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, undefined);
}

/** The same for an object without one of its top-level members (an event without its own `hash`). */
export function canonicalJsonWithout(value: Record<string, unknown>, omitted: string): string {
  return encode(value, omitted);
}

// Every write hashes its audit event: written with string concatenation and one sorted key list per object rather
// than Object.entries, filter, map and join, which allocated an array per member (docs/performance.md).
function encode(value: unknown, omitted: string | undefined): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let index = 0; index < value.length; index++) out += (index === 0 ? '' : ',') + encode(value[index], undefined);
    return `${out}]`;
  }
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    // RFC 8785 §3.2.3 sorts by UTF-16 code units, which is what the default sort of strings compares.
    const keys = Object.keys(object).sort();
    let out = '{';
    for (const key of keys) {
      const member = object[key];
      if (member === undefined || key === omitted) continue;
      out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${encode(member, undefined)}`;
    }
    return `${out}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
}
