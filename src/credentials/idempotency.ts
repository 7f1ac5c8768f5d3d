import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isUniqueViolation } from '../db/db-errors.js';
import type { DB } from '../db/schema.js';
import { AppError } from '../http/app-error.js';
import type { Clock } from '../http/clock.js';
import type { CredentialView } from './credentials.schemas.js';

/** DESIGN.md §2.1: the same key and body within 24 h replays the first response. */
const REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

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
  new AppError('idempotency-key-reused', 'This Idempotency-Key was used within 24 h for a different request; use a new key for a new request.');

/**
 * Idempotency-Key bookkeeping for credential creation. The row is written in the create's own
 * transaction, so a retry racing the first request either finds it or loses on the primary key.
 */
export function createIdempotency(deps: { clock: Clock }) {
  const cutoff = () => new Date(deps.clock.now().getTime() - REPLAY_WINDOW_MS).toISOString();

  return {
    /** The stored first response for a retry, 422 for a reused key, undefined for a new key. */
    async replay(db: Kysely<DB>, fleetId: string, request: IdempotentRequest): Promise<CredentialView | undefined> {
      const row = await db
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'response_body'])
        .where('fleet_id', '=', fleetId)
        .where('idempotency_key', '=', request.key)
        .where('created_at', '>', cutoff())
        .executeTakeFirst();
      if (row === undefined) return undefined;
      if (row.request_hash !== request.requestHash) throw reused();
      // A response recorded before migration 0005 has no status yet: the view it described had none to show.
      const recorded = JSON.parse(row.response_body) as Partial<CredentialView>;
      return { status: 'unknown', status_checked_at: null, ...recorded } as CredentialView;
    },

    /** Records the first response inside the create's transaction, replacing an expired row. */
    async record(trx: Kysely<DB>, fleetId: string, request: IdempotentRequest, view: CredentialView): Promise<void> {
      await trx
        .deleteFrom('idempotency_keys')
        .where('fleet_id', '=', fleetId)
        .where('idempotency_key', '=', request.key)
        .where('created_at', '<=', cutoff())
        .execute();
      await trx
        .insertInto('idempotency_keys')
        .values({
          fleet_id: fleetId,
          idempotency_key: request.key,
          request_hash: request.requestHash,
          response_body: JSON.stringify(view),
          created_at: deps.clock.now().toISOString(),
        })
        .execute();
    },

    isRace: (error: unknown) => isUniqueViolation(error, 'idempotency_keys_pkey'),
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
