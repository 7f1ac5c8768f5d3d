import type { AuditOutbox } from '../audit/audit.service.js';
import { createPublicKey, randomUUID } from 'node:crypto';
import type { Brand } from '../brands/define-brand.js';
import { AppError, notFound, validationFailed } from '../core/app-error.js';
import type { Clock } from '../core/clock.js';
import type { RequestContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { CredentialRepo } from '../credentials/credentials.repo.js';
import type { Store } from '../db/store.js';
import { exchangeAdapters, findBrand, requireBrand } from '../brands/brand-registry.js';
import type { BrandAdapter, BrandToken } from '../brands/brand-adapter.js';
import { type BrandHttpClient, UpstreamFailure } from './brand-http-client.js';
import { BrandProblem, safeBrandError } from './brand-problem.js';
import type { ExchangeMetrics } from './exchange-metrics.js';
import type { CachedToken, TokenCache } from './token-cache.js';

/** Who asks and in which request: the exchange runs only in a request, so its id is always there. */
export type ExchangeContext = RequestContext;

/** An audit event of the exchange (docs/design.md §2.6): never the token, a secret or the brand's body. */
export interface ExchangeAuditEvent {
  action: 'credential.exchanged' | 'credential.verified';
  outcome: 'success' | 'failure';
  target: { type: 'credential'; id: string | null; brand: string };
  details: { cached: boolean; brand_status: number | null } | { brand_status: number | null; brand_error?: string };
}

/**
 * Writes one audit event into the unit of work `repos` is bound to (the audit trail's `append`; a test's
 * recorder). A rejection rolls that unit back and makes the exchange 503 with no token (docs/design.md §2.6).
 */
/** The exchange's unit of work: an answer's audit event and the credential status it implies. */
export interface ExchangeRepos {
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
  credentials: Pick<CredentialRepo, 'setStatus'>;
}

export type AppendExchangeEvent = (repos: ExchangeRepos, context: ExchangeContext, event: ExchangeAuditEvent) => Promise<void>;

export type CredentialStatus = 'unknown' | 'authorized' | 'rejected' | 'unreachable';

/** The credential's status after an upstream call that reached the brand, written with that call's event. */
interface StatusWrite {
  secretVersion: number;
  status: CredentialStatus;
  checkedAt: string;
}

/** What the exchange reads of a stored credential; secrets are opened only on a cache miss. */
export interface ExchangeableCredential {
  id: string;
  brand: string;
  secret_version: number;
  fields: Record<string, string>;
  openSecrets(): Promise<Record<string, string>>;
}

export interface ExchangeServiceDeps {
  /** The credential inside the grant (its fleet and restriction), or 404. */
  findCredential(grant: Grant, brandSlug: string, id: string): Promise<ExchangeableCredential>;
  /** Each answer's event and the status it implies commit in one `store.transaction` (docs/architecture.md). */
  store: Pick<Store<ExchangeRepos>, 'transaction'>;
  appendEvent: AppendExchangeEvent;
  http: BrandHttpClient;
  cache: TokenCache;
  clock: Clock;
  metrics: ExchangeMetrics;
  logger?: { warn(object: object, message: string): void } | undefined;
  /** The brand flows by slug; each catalogue entry's `exchange` unless a test brings its own. */
  adapters?: ReadonlyMap<string, BrandAdapter> | undefined;
}

export interface ExchangeAnswer {
  access_token: string;
  token_type: string;
  expires_at: string;
  expires_in: number;
  scope?: string | undefined;
  secret_version: number;
  cached: boolean;
  [extra: string]: unknown;
}

type Fields = Record<string, string>;
type Who = { fleetId: string; credentialId: string | null };

interface Obtained extends CachedToken {
  brandStatus: number;
}

const statusAfter: Record<BrandProblem['kind'], CredentialStatus> = {
  rejected: 'rejected',
  unavailable: 'unreachable',
  timeout: 'unreachable',
  breaker_open: 'unreachable',
};

/** Brand token exchange (docs/design.md §2.9): the secret stays in the vault, only the brand's token leaves. */
export function createExchangeService(deps: ExchangeServiceDeps) {
  const { clock, cache, metrics } = deps;
  const flows = deps.adapters ?? exchangeAdapters;

  function adapterFor(brand: string): BrandAdapter {
    const adapter = flows.get(brand);
    if (adapter === undefined) {
      const hint = findBrand(brand)?.noExchangeHint;
      throw new AppError(
        'exchange-not-supported',
        `The vault knows no token exchange for ${brand}.${hint === undefined ? '' : ` ${hint}`}`,
      );
    }
    return adapter;
  }

  /** One upstream exchange for `who` (the breakers' key). No database transaction is open around it. */
  async function obtain(adapter: BrandAdapter, who: Who, fields: Fields, secrets: Fields, scope?: string): Promise<Obtained> {
    const sentAt = clock.now();
    const request = adapter.buildRequest({ fields, secrets, scope, now: sentAt, newJti: randomUUID });
    let answer;
    try {
      answer = await deps.http.send(adapter.brand, request, who);
    } catch (error) {
      if (error instanceof UpstreamFailure) throw BrandProblem.fromUpstream(error);
      throw error;
    }
    const read = adapter.readAnswer(answer.status, answer.body, fields);
    if (read.kind === 'token') {
      // Counted from when the request left: the brand's clock started no later than that.
      const expiresAt = sentAt.getTime() + read.token.expires_in * 1000;
      // The cache entry and the answer need an expiry a Date can hold (every adapter caps the lifetime at
      // MAX_LIFETIME_SECONDS; this holds the contract for any that would not): else the answer is unusable.
      if (!(read.token.expires_in > 0) || Number.isNaN(new Date(expiresAt).getTime())) throw new BrandProblem('unavailable', answer.status);
      return { token: read.token, expiresAt, brandStatus: answer.status };
    }
    throw new BrandProblem(read.kind === 'rejected' ? 'rejected' : 'unavailable', answer.status, safeBrandError(read.code, secrets));
  }

  /**
   * Commits the event and, when given, the credential's status (`setStatus` skips a credential rotated since)
   * in ONE unit of work: both or neither. It has committed when it resolves, and only then may a token leave.
   */
  async function record(context: ExchangeContext, event: ExchangeAuditEvent, status?: StatusWrite): Promise<void> {
    try {
      await deps.store.transaction(
        async (repos) => {
          await deps.appendEvent(repos, context, event);
          if (status !== undefined && event.target.id !== null) {
            await repos.credentials.setStatus(context.fleetId, event.target.id, status.secretVersion, status.status, status.checkedAt);
          }
        },
        { fleetId: context.fleetId },
      );
    } catch (error) {
      deps.logger?.warn({ action: event.action, reason: (error as Error).name }, 'audit event not recorded: no token sent');
      throw new AppError('service-unavailable', 'The audit trail could not record this exchange; no token was sent. Retry shortly.');
    }
  }

  function answerOf(cached: CachedToken, version: number, fromCache: boolean): ExchangeAnswer {
    const { token } = cached;
    return {
      ...token.extras,
      access_token: token.access_token,
      token_type: token.token_type,
      expires_at: new Date(cached.expiresAt).toISOString(),
      expires_in: Math.max(0, Math.floor((cached.expiresAt - clock.now().getTime()) / 1000)),
      ...(token.scope !== undefined && { scope: token.scope }),
      secret_version: version,
      cached: fromCache,
    };
  }

  /** The answer, or a BrandProblem (502) when it cannot be built from what the brand sent. */
  function asBuilt(build: () => ExchangeAnswer, brandStatus: number): ExchangeAnswer {
    try {
      return build();
    } catch (error) {
      deps.logger?.warn({ reason: (error as Error).name }, 'brand answer could not be turned into a token answer');
      throw new BrandProblem('unavailable', brandStatus);
    }
  }

  return {
    metrics,

    /** `POST /{brand}/credentials/{id}/token`: from the cache, or one shared upstream call per credential and version. */
    async exchange(context: ExchangeContext, brandSlug: string, id: string, scope?: string): Promise<ExchangeAnswer> {
      const credential = await deps.findCredential(context, brandSlug, id);
      const adapter = adapterFor(credential.brand);
      if (scope !== undefined && !adapter.takesScope) {
        throw validationFailed([{ pointer: '/scope', detail: `${credential.brand} takes no scope; send an empty body` }]);
      }
      const target = { type: 'credential' as const, id: credential.id, brand: credential.brand };
      const key = `${credential.id}\n${credential.secret_version}\n${scope ?? ''}`;
      const hit = cache.get(key);
      if (hit !== undefined) {
        metrics.cacheHits.inc({ brand: credential.brand });
        metrics.exchanges.inc({ brand: credential.brand, outcome: 'cached' });
        const details = { cached: true, brand_status: null };
        const answer = answerOf(hit, credential.secret_version, true);
        await record(context, { action: 'credential.exchanged', outcome: 'success', target, details });
        return answer;
      }
      let answer: ExchangeAnswer;
      let brandStatus: number;
      // Single flight: concurrent misses share one upstream call, but each caller records its own event. The status
      // that call implies is set only by the caller whose function ran (the leader, the one that reached the brand),
      // in the same transaction as its own event; the callers that waited write no status. So one brand answer is
      // one status write, and that write commits with exactly one event or not at all.
      let status: StatusWrite | undefined;
      const statusNow = (value: CredentialStatus): StatusWrite => ({
        secretVersion: credential.secret_version,
        status: value,
        checkedAt: clock.now().toISOString(),
      });
      try {
        const obtained = (await cache.shared(key, credential.id, async () => {
          const secrets = await credential.openSecrets();
          try {
            const who = { fleetId: context.fleetId, credentialId: credential.id };
            const result = await obtain(adapter, who, credential.fields, secrets, scope);
            status = statusNow('authorized');
            return result;
          } catch (error) {
            if (error instanceof BrandProblem && error.reachedBrand) status = statusNow(statusAfter[error.kind]);
            throw error;
          }
        })) as Obtained;
        brandStatus = obtained.brandStatus;
        // Built before the success event: an answer that cannot be built is a failure, never a recorded success.
        answer = asBuilt(() => answerOf(obtained, credential.secret_version, false), obtained.brandStatus);
      } catch (error) {
        if (!(error instanceof BrandProblem)) throw error;
        metrics.exchanges.inc({ brand: credential.brand, outcome: error.kind });
        const details = { cached: false, brand_status: error.brandStatus };
        await record(context, { action: 'credential.exchanged', outcome: 'failure', target, details }, status);
        throw error.toAppError('exchange');
      }
      metrics.exchanges.inc({ brand: credential.brand, outcome: 'token' });
      const details = { cached: false, brand_status: brandStatus };
      await record(context, { action: 'credential.exchanged', outcome: 'success', target, details }, status);
      return answer;
    },

    /**
     * `?verify=true` on POST and PATCH: exchanges with the new secrets before anything is stored.
     * A refusal is 422 credentials-rejected-by-brand, an unreachable brand 502/503/504; each failure
     * leaves a `credential.verified` failure event. Never cached: the secrets are not stored yet.
     */
    async verify(context: ExchangeContext, input: { brand: Brand; credentialId: string | null; fields: Fields; secrets: Fields }) {
      const adapter = adapterFor(input.brand.slug);
      try {
        await obtain(adapter, { fleetId: context.fleetId, credentialId: input.credentialId }, input.fields, input.secrets);
      } catch (error) {
        if (!(error instanceof BrandProblem)) throw error;
        const details = { brand_status: error.brandStatus, ...(error.brandError !== undefined && { brand_error: error.brandError }) };
        const target = { type: 'credential' as const, id: input.credentialId, brand: input.brand.slug };
        await record(context, { action: 'credential.verified', outcome: 'failure', target, details });
        throw error.toAppError('verify');
      }
    },

    /** How many brand tokens this process holds (tests, operators). */
    cachedTokenCount: () => cache.size(),

    /** A rotation, restore or delete: the credential's cached tokens go. */
    forget(credentialId: string): void {
      cache.forget(credentialId);
    },

    /** `GET /<slug>/credentials/{id}/public-key` (a brand whose entry declares `publicKey`): the PEM public key of its private key. */
    async publicKey(grant: Grant, brandSlug: string, id: string): Promise<string> {
      const brand = requireBrand(brandSlug);
      if (brand.publicKey === undefined) throw notFound('Public key');
      const credential = await deps.findCredential(grant, brand.slug, id);
      const pem = (await credential.openSecrets())[brand.publicKey.field];
      if (pem === undefined) throw notFound(`Public key (this credential holds no ${brand.publicKey.field})`);
      return createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
    },
  };
}

export type ExchangeService = ReturnType<typeof createExchangeService>;
export type { BrandToken };
