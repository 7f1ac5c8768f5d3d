import type { Brand } from '../brands/define-brand.js';
import { requireBrand } from '../brands/brand-registry.js';
import type { ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import { assertMayCreate } from './credential-grant.js';
import { isForeignKeyViolation } from '../db/db-errors.js';
import type { Store } from '../db/store.js';
import { together } from '../db/together.js';
import type { ActiveDataKeys } from '../crypto/keyring.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import type { CredentialListKey, CredentialRepo } from './credentials.repo.js';
import type { IdempotencyRepo } from './idempotency.repo.js';
import { AppError, notFound, validationFailed } from '../core/app-error.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import { pageOf } from '../core/pagination.js';
import { parseOrThrow } from '../core/validation.js';
import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import { nameClash, patchFieldError, patchRefusalDetail, splitFields } from './credential-fields.js';
import { bodiesOf } from './credential-bodies.js';
import { eventOf, listItemJson, loadCredential, loadCredentialView, toCredentialView } from './credential-view.js';
import { createIdempotency } from './idempotency.js';
import type { SealedSecrets } from './sealed-secrets.js';
import { retrySecretWrite } from './secret-write-retry.js';
import { type CredentialView, nameKey } from './credentials.schemas.js';
import { requireIfMatch } from './etag.js';
import type { CredentialChanges } from './credential-changes.js';

const MAX_REFERENCING_IDS = 20;

export interface CredentialListQuery {
  limit: number;
  /** The sort key after which the page starts (the route decodes it from `?cursor=`). */
  after?: CredentialListKey | undefined;
  name?: string | undefined;
  q?: string | undefined;
}

/** `?verify=true` (docs/design.md §2.9): exchanges with the secrets before they are stored; throws to refuse. */
export type VerifySecrets = (input: {
  brand: Brand;
  credentialId: string | null;
  fields: Record<string, string>;
  secrets: Record<string, string>;
}) => Promise<void>;

/** The repositories (and methods) the credential service uses: its store and unit of work are typed over them. */
export interface CredentialServiceRepos {
  credentials: Pick<CredentialRepo, 'insert' | 'findById' | 'findView' | 'countByBrand' | 'list' | 'referencingVehicles' | 'delete'>;
  idempotency: IdempotencyRepo;
  fleets: Pick<FleetRepo, 'lockForWrite'>;
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
  /** A create seals in its unit, under the data key active in that transaction (sealed-secrets.ts). */
  dataKeys: ActiveDataKeys;
}

export function createCredentialService(deps: {
  store: Store<CredentialServiceRepos>;
  audit: AuditTrail;
  /** The one writer of sealed secrets: create seals, rotate replaces, the exchange opens through it. */
  secrets: SealedSecrets;
  clock: Clock;
  ids: IdGenerator;
  /** Keyed hash for Idempotency-Key requests: bodies hold secrets, so no plain digest is stored. */
  fingerprint: (text: string) => string;
  /** Where each committed change of a credential's secrets is announced. */
  changes: CredentialChanges;
}) {
  const { store, audit, secrets: sealedSecrets, clock, ids, fingerprint, changes } = deps;
  const idempotency = createIdempotency({ clock });
  const repo = store.repos.credentials;

  const load = (grant: Grant, brand: Brand, id: string) => loadCredential(repo, grant, brand, id);

  return {
    /**
     * Creates a credential. With an Idempotency-Key, a retry of the same request within 24 h
     * answers the first response (no second credential); the key with another request is 422.
     */
    async create(
      context: ActorContext,
      brandSlug: string,
      body: Record<string, unknown>,
      idempotencyKey?: string,
      verify?: VerifySecrets,
    ): Promise<CredentialView> {
      const { fleetId } = context;
      const brand = requireBrand(brandSlug);
      assertMayCreate(context, brand);
      const request =
        idempotencyKey === undefined
          ? undefined
          : { key: idempotencyKey, requestHash: fingerprint(`${brand.slug}\n${JSON.stringify(body, Object.keys(body).sort())}`) };
      if (request !== undefined) {
        const replayed = await idempotency.replay(store.repos.idempotency, fleetId, request);
        if (replayed !== undefined) return replayed;
      }
      // The route has validated with this same schema (credential-bodies.ts); other callers are checked here.
      const { name: parsedName, ...values } = parseOrThrow(bodiesOf(brand).create, body);
      const name = parsedName ?? null;
      const { fields, secrets } = splitFields(brand, values);
      const secretProblem = brand.checkSecrets(secrets);
      if (secretProblem) throw validationFailed([secretProblem]);
      // The brand call happens before any transaction opens; a refusal stores nothing.
      if (verify) await verify({ brand, credentialId: null, fields, secrets });

      const id = ids.next();
      const key = name === null ? '' : nameKey(name);
      // Nothing to race on a version yet: only a data-key rotation can refuse the commit (secret-write-retry.ts).
      return retrySecretWrite(false, async () => {
        const now = clock.now().toISOString();
        // The row but its sealed secrets, which the unit seals (sealed-secrets.ts).
        const unsealed = {
          id,
          fleet_id: fleetId,
          brand: brand.slug,
          name,
          name_key: key,
          name_missing: name === null ? 1 : 0,
          fields: JSON.stringify(fields),
          secret_version: 1,
          created_at: now,
          updated_at: now,
          secret_updated_at: now,
          secret_created_by: JSON.stringify(context.actor),
          status: verify ? ('authorized' as const) : ('unknown' as const),
          status_checked_at: verify ? now : null,
        };
        // The row as written is the response (no read after the commit): nothing references a credential before it exists.
        const view = toCredentialView({ ...unsealed, vehicle_count: 0 });
        try {
          await store.transaction(
            async (repos) => {
              const tx = repos.credentials;
              const { sealed, dataKeyId } = await sealedSecrets.seal(repos, fleetId, id, 1, secrets);
              const row = { ...unsealed, sealed_secrets: sealed, data_key_id: dataKeyId };
              // Two replicas counting at once could both pass the cap: serialise this fleet's creates.
              if (brand.maxPerFleet !== undefined) await repos.fleets.lockForWrite(fleetId);
              if (brand.maxPerFleet !== undefined && (await tx.countByBrand(fleetId, brand.slug)) >= brand.maxPerFleet) {
                throw new AppError('limit-exceeded', `A fleet can hold at most ${brand.maxPerFleet} ${brand.slug} credentials.`, {
                  limit: brand.maxPerFleet,
                });
              }
              // Sent together (one round trip on PostgreSQL): the row, its idempotency record and its event. The name
              // index decides, replicas included; on a clash the unit throws and its savepoint takes the other two back.
              // The event last: the chain head stays locked from there to COMMIT, and every other write of the fleet waits.
              const [inserted] = await together([
                tx.insert(row),
                request === undefined ? Promise.resolve() : idempotency.record(repos.idempotency, fleetId, request, view),
                audit.append(repos, { ...eventOf(context, row), action: 'credential.created', details: { secret_version: 1 } }),
              ]);
              if (!inserted) throw nameClash(name ?? '');
            },
            { fleetId },
          );
        } catch (error) {
          // A retry that raced its first request (another replica, or one still open): whichever
          // constraint stopped it, the first request's row now decides: replay it, or 422.
          if (request !== undefined) {
            const replayed = await idempotency.replay(store.repos.idempotency, fleetId, request);
            if (replayed !== undefined) return replayed;
          }
          throw error;
        }
        changes.announce({ kind: 'created', fleetId, credentialId: id, brand: brand.slug });
        return view;
      });
    },

    async get(grant: Grant, brandSlug: string, id: string): Promise<CredentialView> {
      return loadCredentialView(repo, grant, requireBrand(brandSlug), id);
    },

    /** A page of the list; each item is the credential view as JSON text (`listItemJson`), for `pageJson`. */
    async list(grant: Grant, brandSlug: string | undefined, query: CredentialListQuery) {
      const brand = brandSlug === undefined ? undefined : requireBrand(brandSlug);
      const rows = await repo.list(grant.fleetId, {
        brand: brand?.slug,
        restriction: grant.restriction,
        nameKey: query.name === undefined ? undefined : nameKey(query.name.normalize('NFC').trim()),
        q: query.q === undefined ? undefined : nameKey(query.q.normalize('NFC')),
        after: query.after,
        limit: query.limit + 1,
      });
      return pageOf(rows, query.limit, listItemJson, (r) => [r.name_missing, r.name_key, r.id]);
    },

    /** Rotates secrets (docs/design.md §2.1): only the brand's rotatable fields, bumping secret_version. */
    async rotate(
      context: ActorContext,
      brandSlug: string,
      id: string,
      body: Record<string, unknown>,
      ifMatch?: string,
      verify?: VerifySecrets,
    ): Promise<CredentialView> {
      const brand = requireBrand(brandSlug);
      const refused = Object.keys(body).filter((field) => !brand.rotatableFields.includes(field));
      if (refused.length > 0) {
        throw validationFailed(
          refused.map((field) => ({ pointer: `/${field}`, detail: patchFieldError(brand, field) })),
          patchRefusalDetail(brand),
        );
      }
      if (Object.keys(body).length === 0) {
        throw validationFailed([{ pointer: '', detail: `give at least one of: ${brand.rotatableFields.join(', ')}` }]);
      }
      const update = parseOrThrow(bodiesOf(brand).rotate, body);

      return sealedSecrets.replace(context, brand, id, ifMatch, async (current) => {
        const secrets = await sealedSecrets.open(current);
        for (const [field, value] of Object.entries(update)) if (value !== undefined) secrets[field] = value;
        const secretProblem = brand.checkSecrets(secrets);
        if (secretProblem) throw validationFailed([secretProblem]);
        // Each attempt verifies what it would store: a concurrent rotation changes the merged secrets.
        if (verify) await verify({ brand, credentialId: current.id, fields: JSON.parse(current.fields), secrets });
        const fields = Object.keys(update).filter((field) => update[field] !== undefined);
        return { kind: 'rotated', secrets, fields, verified: verify !== undefined };
      });
    },

    /** Deletes the idempotency records whose 24 h window is over (docs/design.md §2.1): they keep a view of the credential. */
    pruneIdempotencyKeys: (): Promise<number> => idempotency.prune(store.repos.idempotency),
    /** A credential for the brand exchange (src/exchange/): its fields now, its secrets only when opened. */
    async openForExchange(grant: Grant, brandSlug: string, id: string) {
      const row = await load(grant, requireBrand(brandSlug), id);
      return {
        id: row.id,
        brand: row.brand,
        secret_version: row.secret_version,
        fields: JSON.parse(row.fields) as Record<string, string>,
        openSecrets: () => sealedSecrets.open(row),
      };
    },

    /** Deletes unless vehicles reference it; the check and the delete are one transaction (docs/design.md §2.1). */
    async delete(context: ActorContext, brandSlug: string, id: string, ifMatch?: string): Promise<void> {
      const { fleetId } = context;
      const brand = requireBrand(brandSlug);
      const current = await load(context, brand, id);
      requireIfMatch(ifMatch, toCredentialView(current));
      const stillReferenced = async (repos: CredentialServiceRepos) => {
        const refs = await repos.credentials.referencingVehicles(fleetId, current.id, MAX_REFERENCING_IDS, context.restriction);
        if (refs.count === 0) return undefined;
        const detail = `${refs.count} vehicle(s) still reference this credential; reassign or delete them first.`;
        return new AppError('conflicting-resource', detail, { vehicle_count: refs.count, vehicle_ids: refs.ids });
      };
      try {
        await store.transaction(
          async (repos) => {
            const conflict = await stillReferenced(repos);
            if (conflict) throw conflict;
            // With If-Match, delete only the version the caller saw: a rotation since the check is a 412, not a silent delete.
            const pinned = ifMatch === undefined || ifMatch.trim() === '*' ? undefined : current.secret_version;
            if (!(await repos.credentials.delete(fleetId, current.id, pinned))) {
              if (pinned !== undefined && (await repos.credentials.findById(fleetId, current.id))) {
                throw new AppError('precondition-failed', 'The credential changed since the given ETag was read.');
              }
              throw notFound('Credential');
            }
            await audit.append(repos, {
              ...eventOf(context, current),
              action: 'credential.deleted',
              details: { secret_version: current.secret_version },
            });
          },
          { fleetId },
        );
        changes.announce({ kind: 'deleted', fleetId, credentialId: current.id, brand: brand.slug });
      } catch (error) {
        // A vehicle committed between the count and the delete: the foreign key refused the delete.
        if (isForeignKeyViolation(error)) throw (await stillReferenced(store.repos)) ?? error;
        throw error;
      }
    },
  };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
