import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { DB } from '../db/schema.js';
import { notFound } from '../http/app-error.js';
import type { Clock, IdGenerator } from '../http/clock.js';
import { parseOrThrow } from '../http/validation.js';
import { clientSecretMatches, generateClientSecret, hashClientSecret } from './client-secrets.js';
import { type ClientRow, createClientRepo } from './clients.repo.js';
import { type Scope, allScopes, scopeSchema } from './scopes.js';

export const clientNameSchema = z.string().trim().min(1).max(100);

export interface CreatedSecretClient {
  client_id: string;
  client_secret: string;
  fleet_id: string;
  scopes: Scope[];
}

export interface AuthenticatedClient {
  id: string;
  fleetId: string;
  scopes: Scope[];
}

export function createClientService(deps: { db: Kysely<DB>; clock: Clock; ids: IdGenerator; secretHashKey: Buffer }) {
  const { db, clock, ids, secretHashKey } = deps;
  const repo = createClientRepo(db);

  const toAuthenticated = (row: ClientRow): AuthenticatedClient => ({
    id: row.id,
    fleetId: row.fleet_id,
    scopes: row.scopes.split(' ').filter((s): s is Scope => (allScopes as readonly string[]).includes(s)),
  });

  return {
    /** A secret client; its secret is returned here once and stored only as a keyed hash. */
    async createSecretClient(fleetId: string, rawName: string, scopes: readonly string[] = allScopes): Promise<CreatedSecretClient> {
      const name = parseOrThrow(clientNameSchema, rawName, '/name');
      const parsedScopes = parseOrThrow(z.array(scopeSchema).min(1), [...new Set(scopes)], '/scopes');
      const exists = await db.selectFrom('fleets').select('id').where('id', '=', fleetId).executeTakeFirst();
      if (exists === undefined) throw notFound('Fleet');
      const secret = generateClientSecret();
      const row: ClientRow = {
        id: ids.next(),
        fleet_id: fleetId,
        name,
        kind: 'secret',
        secret_hash: hashClientSecret(secretHashKey, secret),
        public_jwk: null,
        scopes: parsedScopes.join(' '),
        created_at: clock.now().toISOString(),
        deleted_at: null,
      };
      await repo.insert(row);
      return { client_id: row.id, client_secret: secret, fleet_id: fleetId, scopes: parsedScopes };
    },

    /** The client when id and secret match a live secret client; undefined otherwise (never says which part failed). */
    async authenticateSecret(clientId: string, secret: string): Promise<AuthenticatedClient | undefined> {
      const row = await repo.findLive(clientId.toUpperCase());
      if (row === undefined || row.kind !== 'secret' || row.secret_hash === null) return undefined;
      return clientSecretMatches(secretHashKey, secret, row.secret_hash) ? toAuthenticated(row) : undefined;
    },

    async findLive(clientId: string): Promise<AuthenticatedClient | undefined> {
      const row = await repo.findLive(clientId);
      return row && toAuthenticated(row);
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
