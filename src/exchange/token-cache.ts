import type { Clock } from '../core/clock.js';
import type { BrandToken } from '../brands/brand-adapter.js';

export interface CachedToken {
  token: BrandToken;
  /** When the brand's token expires (ms since the epoch). */
  expiresAt: number;
}

interface Entry extends CachedToken {
  credentialId: string;
  /** Served until here: `expiresAt − max(60 s, 10 % of its lifetime)` (docs/design.md §2.9). */
  freshUntil: number;
}

/** How long before its expiry a token stops being handed out: the caller must still be able to use it. */
export function freshUntil(obtainedAt: number, expiresAt: number): number {
  return expiresAt - Math.max(60_000, (expiresAt - obtainedAt) / 10);
}

/**
 * Brand tokens in memory, keyed by credential, secret version and scope, so a token of an
 * older secret is never served (a rotation changes the key; a replica that has not seen the
 * rotation reads the new version from the database first). Concurrent misses for one key
 * share one upstream call (single flight). Bounded: the oldest entries go first.
 */
export function createTokenCache(deps: { clock: Clock; maxEntries?: number }) {
  const maxEntries = deps.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  const flights = new Map<string, Promise<CachedToken>>();
  /** Bumped by `forget`, so a flight that started before a delete never fills the cache after it. */
  const generations = new Map<string, number>();

  return {
    get(key: string): CachedToken | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (deps.clock.now().getTime() >= entry.freshUntil) {
        entries.delete(key);
        return undefined;
      }
      return entry;
    },

    /** Runs `fetchToken` unless a call for the same key is already out; every waiter gets its result. */
    async shared(key: string, credentialId: string, fetchToken: () => Promise<CachedToken>): Promise<CachedToken> {
      const running = flights.get(key);
      if (running !== undefined) return running;
      const generation = generations.get(credentialId) ?? 0;
      const obtainedAt = deps.clock.now().getTime();
      const flight = fetchToken()
        .then((cached) => {
          const until = freshUntil(obtainedAt, cached.expiresAt);
          if ((generations.get(credentialId) ?? 0) === generation && until > deps.clock.now().getTime()) {
            if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
            entries.set(key, { ...cached, credentialId, freshUntil: until });
          }
          return cached;
        })
        .finally(() => flights.delete(key));
      flights.set(key, flight);
      return flight;
    },

    /** Drops every cached token of a credential (rotation, restore, delete). */
    forget(credentialId: string): void {
      generations.set(credentialId, (generations.get(credentialId) ?? 0) + 1);
      for (const [key, entry] of entries) if (entry.credentialId === credentialId) entries.delete(key);
    },

    size: () => entries.size,
  };
}

export type TokenCache = ReturnType<typeof createTokenCache>;
