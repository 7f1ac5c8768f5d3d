/**
 * Canonical JSON of the values an audit event holds (strings, finite numbers, booleans, null,
 * arrays and plain objects): members sorted by key at every depth, no whitespace, strings and
 * numbers as JSON.stringify writes them. This is RFC 8785 (JCS) for that subset, so the bytes an
 * event is hashed over do not depend on the order its members were written or read back in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      // RFC 8785 §3.2.3 sorts by UTF-16 code units, which is what `<` on strings compares.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
}
