import { describe, expect, it } from 'vitest';
import { decodeTime } from 'ulid';
import { ULID_PATTERN, ulidGenerator } from './clock.js';

describe('ulidGenerator', () => {
  it('makes valid, unique ULIDs that sort in creation order within one millisecond', () => {
    const fixed = { now: () => new Date('2026-11-23T10:00:00.000Z') };
    const ids = ulidGenerator(fixed);
    const made = Array.from({ length: 10_000 }, () => ids.next());
    for (const id of made) expect(id).toMatch(ULID_PATTERN);
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
    // The time part is the clock's, so ids order by creation time across generators too.
    expect(decodeTime(made[0]!)).toBe(Date.parse('2026-11-23T10:00:00.000Z'));
  });

  it('draws the random part evenly over the 32 symbols', () => {
    const ids = ulidGenerator();
    const counts = new Map<string, number>();
    // The first id of each generator has a fully random tail; take the last symbol of many.
    for (let i = 0; i < 3_200; i++) {
      const symbol = ulidGenerator({ now: () => new Date(1_000_000 + i) })
        .next()
        .slice(-1);
      counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(n).toBeGreaterThan(40);
    expect(ids.next()).toMatch(ULID_PATTERN);
  });
});
