import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { addressKey } from './address-key.js';
import { AppError } from '../core/app-error.js';
import { count, countAll, inMemoryCounters, type Limit, type Outcome } from './rate-counters.js';
import { redisCounterStore } from './rate-limit-store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's rate-limit class (the default: per authenticated client, per address otherwise):
     * `none` for probes and metrics scrapes; `token` for the token endpoints, limited per source
     * address and per the client id the request claims (`claimedClient`), against guessing;
     * `reveal` for routes that hand secrets out: the per-client limit and a far smaller one of their own.
     * (Not `rateLimit`: @fastify/rate-limit reads that key itself.)
     */
    rateLimitClass?: 'none' | 'token' | 'reveal';
    /** `token` routes: the client id a request claims to be, read without verifying anything. */
    claimedClient?: (request: FastifyRequest) => string | undefined;
    /** Whether this request calls a brand with the secrets it carries (`?verify=true`): its own per-client limit. */
    callsBrand?: (request: FastifyRequest) => boolean;
  }
  interface FastifyRequest {
    /**
     * Set before authentication when the source address has spent its budget of unauthenticated
     * requests: authentication throws what this returns (429) instead of its 401.
     */
    unauthenticatedRefusal: (() => AppError) | null;
  }
  interface FastifyRequest {
    /**
     * `reveal` routes: counts this request against the caller's reveal limit (429 when spent).
     * The handler calls it once the secret is ready to leave, so a refused reveal (404, 422) costs
     * nothing; a no-op on other routes and when the limit is off.
     */
    spendRevealBudget(): Promise<void>;
  }
}

/**
 * Rate limits: counters in memory, or in Redis when REDIS_URL is set so replicas share them, under
 * `<prefix><class>:<key>` (rate-counters.ts, rate-limit-store.ts). Per source address (IPv6 by its /64): only requests
 * that do not authenticate count, once answered; once the address has spent its budget, its requests are refused
 * before authentication unless they bear a token that then verifies. After authentication (preHandler): one limit per
 * authenticated client (per address otherwise), on `token` routes one per claimed client id and one per source
 * address, and the small one of `callsBrand`; on `reveal` routes the reveal limit is counted only when the handler
 * calls `request.spendRevealBudget()`. Answers 429 `too-many-requests` with `Retry-After`; every limited response
 * carries `X-RateLimit-*`. When Redis is unreachable the limits are skipped (fail open) and the failure is logged.
 * Register before authentication.
 */
export async function registerRateLimits(app: FastifyInstance, config: Pick<Config, 'rateLimit' | 'redisUrl'>): Promise<void> {
  const { windowSeconds, perClient, perAddress, tokenPerClient, tokenPerAddress, revealPerClient, verifyPerClientPerMinute } =
    config.rateLimit;
  const redis =
    config.redisUrl === undefined
      ? undefined
      : new Redis(config.redisUrl, { connectTimeout: 2_000, maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
  if (redis !== undefined) {
    redis.on('error', (error) => app.log.warn({ reason: error.message }, 'rate-limit store (Redis) error'));
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  }
  const shared = redis === undefined ? undefined : redisCounterStore(redis, config.rateLimit.redisKeyPrefix);

  // The per-address limit's counter, and the per-client limit's for a request without a client.
  const sourceAddress = (request: FastifyRequest) => `address:${addressKey(request.ip)}`;
  /** A limit of `max` per window for the key `key` gives, counted under `<limitClass>:<key>`; none when `max` is 0 (off). */
  const limiter = (
    max: number,
    limitClass: string,
    key: (request: FastifyRequest) => string | undefined,
    windowMs = windowSeconds * 1000,
  ): Limiter | undefined => {
    if (max === 0) return undefined;
    const limit: Limit = { max, windowMs, store: shared ?? inMemoryCounters() };
    return {
      limit,
      keyOf: (request) => {
        const own = key(request);
        return own === undefined ? undefined : `${limitClass}:${own}`;
      },
    };
  };
  const address = limiter(perAddress, 'address', (request) => addressKey(request.ip));
  const global = limiter(perClient, 'client', (request) => request.principal?.clientId ?? sourceAddress(request));
  const tokenClient = limiter(tokenPerClient, 'token-client', (request) => request.routeOptions.config?.claimedClient?.(request));
  const tokenAddress = limiter(tokenPerAddress, 'token-address', (request) => addressKey(request.ip));
  const reveal = limiter(revealPerClient, 'reveal', (request) => request.principal?.clientId);
  const verify = limiter(verifyPerClientPerMinute, 'verify', (request) => request.principal?.clientId, 60_000);

  app.decorateRequest('unauthenticatedRefusal', null);
  app.decorateRequest('spendRevealBudget', async () => {});
  // The hooks are callback style and the in-memory counters answer at once: no promise and no microtask turn per hook
  // or per limit (docs/performance.md); counters in Redis answer asynchronously all the same.
  // Before authentication the address's counter is only read: authenticated requests never count.
  app.addHook('onRequest', (request, reply, done) => {
    if (address === undefined || request.routeOptions.config?.rateLimitClass === 'none') return done();
    count(address.limit, sourceAddress(request), false, (outcome) => {
      if (outcome.remaining > 0) return done();
      const refuse = () => refusal(request, reply, { ...outcome, isExceeded: true });
      // A bearer token on a protected route may still authenticate: authentication decides (auth.ts).
      if (request.routeOptions.config?.scope !== undefined && request.headers.authorization !== undefined) {
        request.unauthenticatedRefusal = refuse;
        return done();
      }
      done(refuse());
    });
  });
  // Counted once answered, before the response leaves (so the next request sees it). Unmatched paths count
  // too: a scanner's 404s come from one address like a forged token's 401s. Successful token requests do not.
  app.addHook('onSend', (request, reply, payload, done) => {
    const limitClass = request.routeOptions.config?.rateLimitClass;
    if (address === undefined || limitClass === 'none' || request.principal !== null || reply.statusCode === 429)
      return done(null, payload);
    if (limitClass === 'token' && reply.statusCode < 400) return done(null, payload);
    count(address.limit, sourceAddress(request), true, () => done(null, payload));
  });

  app.addHook('preHandler', (request, reply, done) => {
    const config = request.routeOptions.config;
    if (request.routeOptions.url === undefined || config?.rateLimitClass === 'none') return done();
    const limiters = config?.rateLimitClass === 'token' ? [tokenAddress, tokenClient] : [global];
    if (config?.callsBrand?.(request) === true) limiters.push(verify);
    const checks: [Limit, string][] = [];
    for (const candidate of limiters) {
      const key = candidate?.keyOf(request);
      if (candidate !== undefined && key !== undefined) checks.push([candidate.limit, key]);
    }
    countAll(checks, (outcomes) => {
      try {
        applyOutcomes(request, reply, outcomes);
      } catch (error) {
        return done(error as Error);
      }
      const revealKey = config?.rateLimitClass === 'reveal' ? reveal?.keyOf(request) : undefined;
      if (revealKey !== undefined) {
        request.spendRevealBudget = () =>
          new Promise<void>((resolve, reject) =>
            count(reveal!.limit, revealKey, true, (outcome) => {
              try {
                applyOutcomes(request, reply, [...outcomes, outcome]);
                resolve();
              } catch (error) {
                reject(error as Error);
              }
            }),
          );
      }
      done();
    });
  });
}

/** One limit and how a request names its counter (`keyOf`: undefined when the limit does not apply to it). */
interface Limiter {
  limit: Limit;
  keyOf: (request: FastifyRequest) => string | undefined;
}

/** Headers from the tightest limit; 429 when any is exceeded. */
function applyOutcomes(request: FastifyRequest, reply: FastifyReply, outcomes: Outcome[]) {
  if (outcomes.length === 0) return;
  const exceeded = outcomes.find((o) => o.isExceeded);
  if (exceeded !== undefined) throw refusal(request, reply, exceeded);
  const tightest = outcomes.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  reply.header('x-ratelimit-limit', tightest.max);
  reply.header('x-ratelimit-remaining', tightest.remaining);
  reply.header('x-ratelimit-reset', tightest.ttlInSeconds);
}

function refusal(request: FastifyRequest, reply: FastifyReply, exceeded: Outcome): AppError {
  const retryAfter = Math.max(1, exceeded.ttlInSeconds);
  reply.header('x-ratelimit-limit', exceeded.max);
  reply.header('x-ratelimit-remaining', 0);
  reply.header('x-ratelimit-reset', retryAfter);
  request.log.warn({ event: 'rate-limited', route: request.routeOptions.url }, 'rate limit exceeded');
  return new AppError('too-many-requests', `Too many requests; retry in ${retryAfter} s.`, {}, { retryAfterSeconds: retryAfter });
}
