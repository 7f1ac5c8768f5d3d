import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/app-error.js';
import type { CredentialView } from './credentials.schemas.js';
import type { IdempotencyRepo } from './idempotency.repo.js';

/** docs/design.md §2.1: the same key and body within 24 h replays the first response. */
export const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Printable ASCII, as clients send UUIDs or ULIDs; long enough for any of them. */
export const idempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export interface IdempotentRequest {
  key: string;
  /** Keyed hash of what was asked (brand and body): equal for a retry, different for another request. */
  requestHash: string;
}

const reused = () =>
  new AppError(
    'idempotency-key-reused',
    'This Idempotency-Key was used within 24 h for a different request; use a new key for a new request.',
  );

/**
 * Idempotency-Key bookkeeping for credential creation. The row is written in the create's own
 * transaction, so a retry racing the first request either finds it or loses on the primary key.
 */
export function createIdempotency(deps: { clock: Clock }) {
  const cutoff = () => new Date(deps.clock.now().getTime() - REPLAY_WINDOW_MS).toISOString();

  return {
    /** The stored first response for a retry, 422 for a reused key, undefined for a new key. */
    async replay(repo: IdempotencyRepo, fleetId: string, request: IdempotentRequest): Promise<CredentialView | undefined> {
      const row = await repo.findSince(fleetId, request.key, cutoff());
      if (row === undefined) return undefined;
      if (row.request_hash !== request.requestHash) throw reused();
      // A response recorded before migration 0005 has no status yet: the view it described had none to show.
      const recorded = JSON.parse(row.response_body) as Partial<CredentialView>;
      return { status: 'unknown', status_checked_at: null, ...recorded } as CredentialView;
    },

    /** Records the first response inside the create's transaction, replacing an expired row. */
    async record(repo: IdempotencyRepo, fleetId: string, request: IdempotentRequest, view: CredentialView): Promise<void> {
      await repo.deleteExpiredKey(fleetId, request.key, cutoff());
      await repo.insert({
        fleet_id: fleetId,
        idempotency_key: request.key,
        request_hash: request.requestHash,
        response_body: JSON.stringify(view),
        created_at: deps.clock.now().toISOString(),
      });
    },

    /** Deletes every record whose 24 h window is over (start-up and periodically); returns how many. */
    prune: (repo: IdempotencyRepo): Promise<number> => repo.deleteExpired(cutoff()),
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
