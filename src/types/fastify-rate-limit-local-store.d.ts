// @fastify/rate-limit ships no types for its in-memory store, which src/http/rate-counters.ts uses directly.
declare module '@fastify/rate-limit/store/LocalStore.js' {
  import type { FastifyRateLimitStore } from '@fastify/rate-limit';

  /** A fixed window per key in a toad-cache LRU of `cache` keys (5 000 by default); answers synchronously. */
  class LocalStore implements FastifyRateLimitStore {
    constructor(continueExceeding?: boolean, exponentialBackoff?: boolean, cache?: number);
    incr: FastifyRateLimitStore['incr'];
    read(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void;
    child: FastifyRateLimitStore['child'];
  }
  export default LocalStore;
}
