import { describe, expect, it } from 'vitest';
import { count, countAll, type CounterStore, inMemoryCounters, type Limit, type Outcome } from './rate-counters.js';

const limit = (max: number, store: CounterStore = inMemoryCounters()): Limit => ({ max, windowMs: 60_000, store });

/** A store that answers each call later, in the order of `release`, as Redis does. */
function laterStore(counts: Record<string, number>) {
  const waiting: (() => void)[] = [];
  const store: CounterStore = {
    incr: (key, callback) => void waiting.push(() => callback(null, { current: counts[key]!, ttl: 1_500 })),
    read: (key, callback) => void waiting.push(() => callback(null, { current: counts[key]!, ttl: 1_500 })),
  };
  return { store, release: (order: number[]) => order.map((i) => waiting[i]!).forEach((answer) => answer()) };
}

describe('rate counters', () => {
  it('count up to max, then exceeded; a read counts nothing; the in-memory answer comes back before count returns', () => {
    const tight = limit(2);
    const seen: Outcome[] = [];
    for (let i = 0; i < 3; i++) count(tight, 'client:a', true, (outcome) => seen.push(outcome));
    count(tight, 'client:a', false, (outcome) => seen.push(outcome));
    expect(seen.map((o) => [o.remaining, o.isExceeded])).toEqual([
      [1, false],
      [0, false],
      [0, true],
      [0, true],
    ]);
    expect(seen[0]!.ttlInSeconds).toBe(60);
    count(tight, 'client:b', false, (outcome) => seen.push(outcome));
    expect(seen[4]).toEqual({ max: 2, remaining: 2, ttlInSeconds: 0, isExceeded: false });
  });

  it('fails open: a store error counts nothing and refuses nothing', () => {
    const broken: CounterStore = {
      incr: (_key, callback) => callback(new Error('ECONNREFUSED')),
      read: (_key, callback) => callback(new Error('ECONNREFUSED')),
    };
    let outcome: Outcome | undefined;
    count(limit(1, broken), 'client:a', true, (o) => (outcome = o));
    expect(outcome).toEqual({ max: 1, remaining: 1, ttlInSeconds: 0, isExceeded: false });
  });

  it('an error thrown by what receives the outcome is not swallowed by the store', () => {
    expect(() =>
      count(limit(5), 'client:a', true, () => {
        throw new Error('from the hook');
      }),
    ).toThrow('from the hook');
  });

  it('countAll hands over every outcome in the order asked, once the last store answers, whatever order they answer in', () => {
    const { store, release } = laterStore({ 'a:1': 1, 'b:1': 7 });
    let outcomes: Outcome[] | undefined;
    countAll(
      [
        [limit(5, store), 'a:1'],
        [limit(5, store), 'b:1'],
      ],
      (o) => (outcomes = o),
    );
    release([1]);
    expect(outcomes).toBeUndefined();
    release([0]);
    expect(outcomes!.map((o) => [o.remaining, o.isExceeded, o.ttlInSeconds])).toEqual([
      [4, false, 2],
      [0, true, 2],
    ]);
  });

  it('countAll of nothing answers at once with no outcome', () => {
    let outcomes: Outcome[] | undefined;
    countAll([], (o) => (outcomes = o));
    expect(outcomes).toEqual([]);
  });
});
