import { z } from 'zod';
import type { ActorContext } from '../core/context.js';
import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { Store } from '../db/store.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import { AppError, notFound } from '../core/app-error.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import { pageOf } from '../core/pagination.js';
import { parseOrThrow } from '../core/validation.js';
import { clientSecretMatches, generateClientSecret, hashClientSecret, secretStamp } from './client-secrets.js';
import { createClientLiveness } from './client-liveness.js';
import type { ClientListKey, ClientRepo, ClientRow } from './clients.repo.js';
import { generateKeyClientPair, parsePublicKey, type PublicJwk } from './key-clients.js';
import { type Scope, allScopes, defaultScopes, scopeSchema } from '../core/scopes.js';
import { type CredentialRestriction, parseStoredRestriction, restrictionView, storedRestriction } from '../core/grant.js';
import { parseRestriction } from './client-restriction.js';

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
  /** A secret client's current secret stamp (its tokens carry it as `sst`); null for a key client. */
  secretStamp: string | null;
  /** The credentials it may reach (its tokens carry it as `rst`); undefined: the whole fleet. */
  restriction: CredentialRestriction | undefined;
}

/** What the clients API shows of a client: never a secret hash, never a private key. */
export interface ClientView {
  id: string;
  kind: 'secret' | 'key';
  name: string;
  fleet_id: string;
  scopes: Scope[];
  public_jwk: PublicJwk | null;
  created_at: string;
  restrict: { brands?: string[]; credential_ids?: string[] } | null;
}

export interface ClientListQuery {
  limit: number;
  /** The sort key after which the page starts (the route decodes it from `?cursor=`). */
  after?: ClientListKey | undefined;
}

export function createClientService(deps: {
  audit: AuditTrail;
  /** Its unit of work: the clients, whether a fleet exists, and the audit events. */
  store: Store<{ clients: ClientRepo; fleets: Pick<FleetRepo, 'exists'>; audit: AuditRepo; webhookDeliveries: AuditOutbox }>;
  clock: Clock;
  ids: IdGenerator;
  secretHashKey: Buffer;
  /** The revocation cache's TTL (tests); at most CLIENT_LIVENESS_TTL_MS. */
  livenessTtlMs?: number;
}) {
  const { audit, store, clock, ids, secretHashKey } = deps;
  const repo = store.repos.clients;
  // This replica's revocation cache: what the service revokes (deletion, rotation) it forgets at once;
  // other replicas see it within the TTL.
  const liveness = createClientLiveness({
    clock,
    find: async (id) => {
      const row = await repo.findLive(id);
      return row && { secretStamp: toAuthenticated(row).secretStamp };
    },
    ...(deps.livenessTtlMs !== undefined && { ttlMs: deps.livenessTtlMs }),
  });

  const scopesOf = (row: ClientRow): Scope[] =>
    row.scopes.split(' ').filter((s): s is Scope => (allScopes as readonly string[]).includes(s));
  const toAuthenticated = (row: ClientRow): AuthenticatedClient => ({
    id: row.id,
    fleetId: row.fleet_id,
    scopes: scopesOf(row),
    secretStamp: row.secret_hash === null ? null : secretStamp(row.secret_hash),
    restriction: parseStoredRestriction(row.restriction),
  });
  const restrictOf = (row: ClientRow) => {
    const restriction = parseStoredRestriction(row.restriction);
    return restriction === undefined ? null : restrictionView(restriction);
  };
  const toView = (row: ClientRow): ClientView => ({
    id: row.id,
    kind: row.kind,
    name: row.name,
    fleet_id: row.fleet_id,
    scopes: scopesOf(row),
    public_jwk: row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as PublicJwk),
    created_at: row.created_at,
    restrict: restrictOf(row),
  });

  /**
   * Name and scopes checked; `granter` is the creating client's scopes: a client can never
   * grant more than its creator holds (403 insufficient-scope). The CLI (an operator) passes none.
   */
  /**
   * A client may only create, rotate or delete clients whose scopes it holds itself: otherwise a
   * `clients:manage` client could take over (rotate) or revoke an admin client with more power.
   */
  function assertGranterHolds(granter: readonly Scope[] | undefined, scopes: readonly Scope[], action: string) {
    if (granter === undefined) return;
    const notHeld = scopes.filter((s) => !granter.includes(s));
    if (notHeld.length > 0) {
      throw new AppError(
        'insufficient-scope',
        `A client cannot ${action} a client holding scopes it does not hold itself: ${notHeld.join(' ')}.`,
        {
          not_held: notHeld,
        },
      );
    }
  }

  async function prepare(
    fleetId: string,
    rawName: string,
    scopes: readonly string[],
    granter: readonly Scope[] | undefined,
    restrict: unknown,
  ) {
    const name = parseOrThrow(clientNameSchema, rawName, '/name');
    const parsedScopes = parseOrThrow(z.array(scopeSchema).min(1), [...new Set(scopes)], '/scopes');
    const restriction = parseRestriction(restrict, parsedScopes);
    assertGranterHolds(granter, parsedScopes, 'grant');
    if (!(await store.repos.fleets.exists(fleetId))) throw notFound('Fleet');
    return { name, scopes: parsedScopes, restriction };
  }

  function newRow(
    fleetId: string,
    prepared: { name: string; scopes: Scope[]; restriction: CredentialRestriction | undefined },
    kind: 'secret' | 'key',
  ): ClientRow {
    const { name, scopes, restriction } = prepared;
    return {
      id: ids.next(),
      fleet_id: fleetId,
      name,
      kind,
      secret_hash: null,
      public_jwk: null,
      scopes: scopes.join(' '),
      created_at: clock.now().toISOString(),
      deleted_at: null,
      restriction: storedRestriction(restriction),
    };
  }

  const clientEvent = (context: ActorContext, id: string) => ({
    fleetId: context.fleetId,
    actor: context.actor,
    target: { type: 'client', id },
    requestId: context.requestId,
    clientRequestId: context.clientRequestId,
  });

  /** A new client and its `client.created` event, in one transaction. */
  async function insertAudited(context: ActorContext, row: ClientRow): Promise<void> {
    await store.transaction(
      async (repos) => {
        await repos.clients.insert(row);
        await audit.append(repos, {
          ...clientEvent(context, row.id),
          action: 'client.created',
          details: { kind: row.kind, scopes: scopesOf(row), ...(row.restriction !== null && { restrict: restrictOf(row)! }) },
        });
      },
      { fleetId: context.fleetId },
    );
  }

  return {
    /**
     * A secret client; its secret is returned here once and stored only as a keyed hash. `restrict`
     * (the API's `{brands?, credential_ids?}`) narrows it to some credentials of the fleet.
     */
    async createSecretClient(
      context: ActorContext,
      rawName: string,
      scopes: readonly string[] = defaultScopes,
      granter?: readonly Scope[],
      restrict?: unknown,
    ): Promise<CreatedSecretClient & { view: ClientView }> {
      const { fleetId } = context;
      const prepared = await prepare(fleetId, rawName, scopes, granter, restrict);
      const secret = generateClientSecret();
      const row = { ...newRow(fleetId, prepared, 'secret'), secret_hash: hashClientSecret(secretHashKey, secret) };
      await insertAudited(context, row);
      return { client_id: row.id, client_secret: secret, fleet_id: fleetId, scopes: prepared.scopes, view: toView(row) };
    },

    /**
     * A key client (service account). With `publicKey` (PEM or JWK) the vault stores it; without,
     * the vault generates a P-256 pair and returns the private key this once, never storing it.
     */
    async createKeyClient(
      context: ActorContext,
      rawName: string,
      scopes: readonly string[],
      publicKey: unknown,
      granter?: readonly Scope[],
      restrict?: unknown,
    ): Promise<{ view: ClientView; privateKeyPem: string | undefined }> {
      const { fleetId } = context;
      const given = publicKey === undefined ? undefined : parsePublicKey(publicKey);
      const prepared = await prepare(fleetId, rawName, scopes, granter, restrict);
      const generated = given === undefined ? generateKeyClientPair() : undefined;
      const jwk = given ?? generated!.publicJwk;
      const row = { ...newRow(fleetId, prepared, 'key'), public_jwk: JSON.stringify(jwk) };
      await insertAudited(context, row);
      return { view: toView(row), privateKeyPem: generated?.privateKeyPem };
    },

    async list(fleetId: string, query: ClientListQuery) {
      const rows = await repo.listLive(fleetId, query.limit + 1, query.after?.[0]);
      return pageOf(rows, query.limit, toView, (row) => [row.id]);
    },

    async get(fleetId: string, id: string): Promise<ClientView> {
      const row = await repo.findInFleet(fleetId, id.toUpperCase());
      if (row === undefined) throw notFound('Client');
      return toView(row);
    },

    /** Deletes (revokes) a client: its tokens stop working within the liveness cache's TTL. */
    async delete(context: ActorContext, id: string, granter?: readonly Scope[]): Promise<void> {
      const { fleetId } = context;
      const row = await repo.findInFleet(fleetId, id.toUpperCase());
      if (row === undefined) throw notFound('Client');
      assertGranterHolds(granter, toAuthenticated(row).scopes, 'delete');
      await store.transaction(
        async (repos) => {
          if (!(await repos.clients.softDelete(fleetId, row.id, clock.now().toISOString()))) throw notFound('Client');
          await audit.append(repos, { ...clientEvent(context, row.id), action: 'client.deleted', details: {} });
        },
        { fleetId },
      );
      liveness.forget(row.id);
    },

    /** A new secret for a secret client, shown once; the old one stops working at once. */
    async rotateSecret(context: ActorContext, id: string, granter?: readonly Scope[]): Promise<ClientView & { client_secret: string }> {
      const { fleetId } = context;
      const row = await repo.findInFleet(fleetId, id.toUpperCase());
      if (row === undefined) throw notFound('Client');
      assertGranterHolds(granter, toAuthenticated(row).scopes, 'rotate the secret of');
      if (row.kind !== 'secret')
        throw new AppError('conflicting-resource', 'A key client has no secret to rotate: create a new key client instead.');
      const secret = generateClientSecret();
      const hash = hashClientSecret(secretHashKey, secret);
      await store.transaction(
        async (repos) => {
          if (!(await repos.clients.replaceSecretHash(fleetId, row.id, hash))) throw notFound('Client');
          await audit.append(repos, { ...clientEvent(context, row.id), action: 'client.secret_rotated', details: {} });
        },
        { fleetId },
      );
      // Tokens issued with the old secret stop working: here at once, on other replicas within the liveness TTL.
      liveness.forget(row.id);
      return { ...toView(row), client_secret: secret };
    },

    /** The client when id and secret match a live secret client; undefined otherwise (never says which part failed). */
    async authenticateSecret(clientId: string, secret: string): Promise<AuthenticatedClient | undefined> {
      const row = await repo.findLive(clientId.toUpperCase());
      if (row === undefined || row.kind !== 'secret' || row.secret_hash === null) return undefined;
      return clientSecretMatches(secretHashKey, secret, row.secret_hash) ? toAuthenticated(row) : undefined;
    },

    /** A live client with its kind and public key, for assertion verification. */
    async findIssuer(clientId: string) {
      const row = await repo.findLive(clientId.toUpperCase());
      return row && { ...toAuthenticated(row), kind: row.kind, publicJwk: toView(row).public_jwk };
    },

    /**
     * Why an access token of `clientId` with secret stamp `sst` is refused (deleted client, rotated
     * secret), or undefined when it is accepted; cached per replica for at most the liveness TTL.
     */
    tokenRefusal: (clientId: string, sst: unknown): string | undefined | Promise<string | undefined> => liveness.refusal(clientId, sst),
  };
}

export type ClientService = ReturnType<typeof createClientService>;
