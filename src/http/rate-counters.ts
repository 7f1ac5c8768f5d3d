import LocalStore from '@fastify/rate-limit/store/LocalStore.js';

export type CounterCallback = (error: Error | null, counter?: { current: number; ttl: number }) => void;

/**
 * Where the counters live: @fastify/rate-limit's in-memory store (one process), or ours in Redis (replicas share them,
 * rate-limit-store.ts). Both count a fixed window per key, which the first request of the window starts.
 */
export interface CounterStore {
  /** Counts one request against `key`: the count so far in its window and the window's remaining ms. */
  incr(key: string, callback: CounterCallback, windowMs: number, max: number): void;
  /** The same without counting. */
  read(key: string, callback: CounterCallback, windowMs: number): void;
}

/** At most `max` requests per `windowMs` for each key of `store`. */
export interface Limit {
  max: number;
  windowMs: number;
  store: CounterStore;
}

/** What a count says: how many of `max` are left and when the window ends (the X-RateLimit-* headers). */
export interface Outcome {
  max: number;
  remaining: number;
  ttlInSeconds: number;
  isExceeded: boolean;
}

/** A limit counted in this process's memory, in an LRU of its own (the plugin's default of 5 000 keys per limit). */
export function inMemoryCounters(): CounterStore {
  return new LocalStore(false, false);
}

/**
 * Counts `key` against `limit` (or only reads it) and hands the outcome to `then`. Called back at once when the store
 * answers at once, as the in-memory one does: no promise and no microtask turn per limit on every request
 * (docs/performance.md). A store that fails counts nothing (fail open: an unreachable Redis must not take the API down
 * with it; its client logs the failure), as @fastify/rate-limit's `skipOnError` did.
 */
export function count(limit: Limit, key: string, increment: boolean, then: (outcome: Outcome) => void): void {
  let answered: Outcome | undefined;
  let waiting = false;
  const callback: CounterCallback = (error, counter) => {
    const current = error === null && counter !== undefined ? counter.current : 0;
    const ttl = error === null && counter !== undefined ? counter.ttl : 0;
    const outcome = {
      max: limit.max,
      remaining: Math.max(0, limit.max - current),
      ttlInSeconds: Math.ceil(ttl / 1000),
      isExceeded: current > limit.max,
    };
    // Called back later (Redis): hand it on now. Called back inside the store's own call: hand it on once that call
    // has returned, so nothing `then` throws unwinds through the store.
    if (waiting) then(outcome);
    else answered = outcome;
  };
  if (increment) limit.store.incr(key, callback, limit.windowMs, limit.max);
  else limit.store.read(key, callback, limit.windowMs);
  if (answered !== undefined) then(answered);
  else waiting = true;
}

/** Counts every `[limit, key]` and hands their outcomes on together, in order; at once when every store answered at once. */
export function countAll(checks: readonly (readonly [Limit, string])[], then: (outcomes: Outcome[]) => void): void {
  const outcomes: Outcome[] = new Array<Outcome>(checks.length);
  let pending = checks.length;
  if (pending === 0) return then(outcomes);
  checks.forEach(([limit, key], index) =>
    count(limit, key, true, (outcome) => {
      outcomes[index] = outcome;
      if (--pending === 0) then(outcomes);
    }),
  );
}
