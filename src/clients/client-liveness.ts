import type { Clock } from '../core/clock.js';

/** Longest a replica trusts a cached answer: a deleted client's tokens die within 5 s (docs/design.md §2.3). */
// 2 s leaves margin for the query and a loaded machine; one lookup per client per 2 s is cheap.
export const CLIENT_LIVENESS_TTL_MS = 2_000;
const MAX_ENTRIES = 50_000;

/** What a token check needs of a live client: the stamp of its current secret (null for a key client). */
export interface LiveClientState {
  secretStamp: string | null;
}

/**
 * Per-process cache of "is this client still live, with which secret?", consulted on every
 * authenticated request. Each replica re-reads the database at most every `ttlMs` per client, so
 * a deletion or a secret rotation on any replica is seen by all within `ttlMs` plus one query.
 */
export function createClientLiveness(deps: {
  clock: Clock;
  find: (clientId: string) => Promise<LiveClientState | undefined>;
  ttlMs?: number;
}) {
  const ttlMs = deps.ttlMs ?? CLIENT_LIVENESS_TTL_MS;
  if (ttlMs > CLIENT_LIVENESS_TTL_MS) throw new TypeError(`client liveness TTL must be at most ${CLIENT_LIVENESS_TTL_MS} ms`);
  const cache = new Map<string, { state: LiveClientState | undefined; checkedAt: number }>();

  /** The cached answer while it is fresh; undefined when the database must be read. */
  function fresh(clientId: string): { state: LiveClientState | undefined } | undefined {
    const now = deps.clock.now().getTime();
    const cached = cache.get(clientId);
    // A clock that moved backwards (tests, NTP) also forces a fresh read.
    return cached !== undefined && now - cached.checkedAt < ttlMs && now >= cached.checkedAt ? cached : undefined;
  }

  async function read(clientId: string): Promise<LiveClientState | undefined> {
    const now = deps.clock.now().getTime();
    const state = await deps.find(clientId);
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(clientId, { state, checkedAt: now });
    return state;
  }

  async function current(clientId: string): Promise<LiveClientState | undefined> {
    const hit = fresh(clientId);
    return hit !== undefined ? hit.state : read(clientId);
  }

  function refusalOf(state: LiveClientState | undefined, secretStamp: unknown): string | undefined {
    if (state === undefined) return 'The access token\u2019s client has been deleted.';
    if (typeof secretStamp === 'string' && secretStamp !== state.secretStamp) {
      return 'The access token was issued before the client\u2019s secret was rotated.';
    }
    return undefined;
  }

  return {
    async isLive(clientId: string): Promise<boolean> {
      return (await current(clientId)) !== undefined;
    },

    /**
     * Why an access token of `clientId` is refused (revocation, docs/design.md §2.3), or undefined when
     * it is accepted. `secretStamp` is the token's `sst` claim: a token issued before the client's
     * secret was rotated carries the old stamp. Tokens without one (key clients) pass on liveness alone.
     * A fresh cached answer is returned at once, not as a promise: every authenticated request asks, and
     * most find one (docs/performance.md); only a database read answers through a promise.
     */
    refusal(clientId: string, secretStamp: unknown): string | undefined | Promise<string | undefined> {
      const hit = fresh(clientId);
      if (hit !== undefined) return refusalOf(hit.state, secretStamp);
      return read(clientId).then((state) => refusalOf(state, secretStamp));
    },

    /** Drops a cached answer (this replica deleted the client or rotated its secret: no need to wait for the TTL). */
    forget(clientId: string): void {
      cache.delete(clientId);
    },
  };
}

export type ClientLiveness = ReturnType<typeof createClientLiveness>;
