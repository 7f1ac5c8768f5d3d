import type { Clock } from '../core/clock.js';

/** Longest a replica trusts a cached answer: a deleted client's tokens die within 5 s (DESIGN.md §2.3). */
// 2 s leaves margin for the query and a loaded machine; one lookup per client per 2 s is cheap.
export const CLIENT_LIVENESS_TTL_MS = 2_000;
const MAX_ENTRIES = 50_000;

/**
 * Per-process cache of "is this client still live?", consulted on every authenticated
 * request. Each replica re-reads the database at most every `ttlMs` per client, so a
 * deletion on any replica is seen by all within `ttlMs` plus one query.
 */
export function createClientLiveness(deps: { clock: Clock; isLive: (clientId: string) => Promise<boolean>; ttlMs?: number }) {
  const ttlMs = deps.ttlMs ?? CLIENT_LIVENESS_TTL_MS;
  if (ttlMs > CLIENT_LIVENESS_TTL_MS) throw new TypeError(`client liveness TTL must be at most ${CLIENT_LIVENESS_TTL_MS} ms`);
  const cache = new Map<string, { live: boolean; checkedAt: number }>();

  return {
    async isLive(clientId: string): Promise<boolean> {
      const now = deps.clock.now().getTime();
      const cached = cache.get(clientId);
      // A clock that moved backwards (tests, NTP) also forces a fresh read.
      if (cached !== undefined && now - cached.checkedAt < ttlMs && now >= cached.checkedAt) return cached.live;
      const live = await deps.isLive(clientId);
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(clientId, { live, checkedAt: now });
      return live;
    },
    /** Drops a cached answer (this replica deleted the client: no need to wait for the TTL). */
    forget(clientId: string): void {
      cache.delete(clientId);
    },
  };
}

export type ClientLiveness = ReturnType<typeof createClientLiveness>;
