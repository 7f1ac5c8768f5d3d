import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { addressKey } from './address-key.js';
import { AppError } from '../core/app-error.js';
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

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type Outcome = Awaited<ReturnType<Limiter>>;
type Counted = Extract<Outcome, { isAllowed: false }>;

/**
 * Rate limits (@fastify/rate-limit's counters, in Redis when REDIS_URL is set so replicas share
 * them, under `<prefix><class>:<key>`). Per source address (IPv6 by its /64): only requests that do
 * not authenticate count, once answered; once the address has spent its budget, its requests are
 * refused before authentication unless they bear a token that then verifies. After authentication
 * (preHandler): one limit per authenticated client (per address otherwise), on `token` routes one
 * per claimed client id and one per source address, and the small one of `callsBrand`; on `reveal`
 * routes the reveal limit is counted only when the handler calls `request.spendRevealBudget()`.
 * Answers 429 `too-many-requests` with `Retry-After`; every limited response carries `X-RateLimit-*`.
 * When Redis is unreachable the limits are skipped (fail open) and the failure is logged. Register
 * before authentication.
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
  await app.register(fastifyRateLimit, {
    global: false,
    timeWindow: windowSeconds * 1000,
    skipOnError: true,
    ...(redis !== undefined && { store: redisCounterStore(redis, config.rateLimit.redisKeyPrefix) }),
  });

  const sourceAddress = (request: FastifyRequest) => `address:${addressKey(request.ip)}`;
  const limiter = (
    max: number,
    limitClass: string,
    key: (request: FastifyRequest) => string | undefined,
    windowMs = windowSeconds * 1000,
  ) =>
    max === 0
      ? undefined
      : {
          check: app.createRateLimit({
            max,
            timeWindow: windowMs,
            keyGenerator: (request) => `${limitClass}:${key(request) ?? sourceAddress(request)}`,
          }),
          applies: (request: FastifyRequest) => key(request) !== undefined,
        };
  const address = limiter(perAddress, 'address', (request) => addressKey(request.ip));
  const global = limiter(perClient, 'client', (request) => request.principal?.clientId ?? sourceAddress(request));
  const tokenClient = limiter(tokenPerClient, 'token-client', (request) => request.routeOptions.config?.claimedClient?.(request));
  const tokenAddress = limiter(tokenPerAddress, 'token-address', (request) => addressKey(request.ip));
  const reveal = limiter(revealPerClient, 'reveal', (request) => request.principal?.clientId);
  const verify = limiter(verifyPerClientPerMinute, 'verify', (request) => request.principal?.clientId, 60_000);

  app.decorateRequest('unauthenticatedRefusal', null);
  app.decorateRequest('spendRevealBudget', async () => {});
  // The hooks are callback style: the usual case (nothing to count, or a counter in memory) costs no promise of its own
  // and no microtask turn per hook (docs/performance.md); a counter in Redis answers asynchronously all the same.
  // Before authentication the address's counter is only read: authenticated requests never count.
  app.addHook('onRequest', (request, reply, done) => {
    if (address === undefined || request.routeOptions.config?.rateLimitClass === 'none') return done();
    address.check(request, { increment: false }).then((outcome) => {
      if (outcome.isAllowed || outcome.remaining > 0 || !Number.isFinite(outcome.max)) return done();
      const refuse = () => refusal(request, reply, { ...outcome, isExceeded: true });
      // A bearer token on a protected route may still authenticate: authentication decides (auth.ts).
      if (request.routeOptions.config?.scope !== undefined && request.headers.authorization !== undefined) {
        request.unauthenticatedRefusal = refuse;
        return done();
      }
      done(refuse());
    }, done);
  });
  // Counted once answered, before the response leaves (so the next request sees it). Unmatched paths count
  // too: a scanner's 404s come from one address like a forged token's 401s. Successful token requests do not.
  app.addHook('onSend', (request, reply, payload, done) => {
    const limitClass = request.routeOptions.config?.rateLimitClass;
    if (address === undefined || limitClass === 'none' || request.principal !== null || reply.statusCode === 429)
      return done(null, payload);
    if (limitClass === 'token' && reply.statusCode < 400) return done(null, payload);
    address.check(request).then(() => done(null, payload), done);
  });

  app.addHook('preHandler', (request, reply, done) => {
    const config = request.routeOptions.config;
    if (request.routeOptions.url === undefined || config?.rateLimitClass === 'none') return done();
    const limiters = config?.rateLimitClass === 'token' ? [tokenAddress, tokenClient] : [global];
    if (config?.callsBrand?.(request) === true) limiters.push(verify);
    const checks: Promise<Outcome>[] = [];
    for (const l of limiters) if (l !== undefined && l.applies(request)) checks.push(l.check(request));
    const apply = (outcomes: Outcome[]) => {
      applyOutcomes(request, reply, outcomes);
      if (config?.rateLimitClass === 'reveal' && reveal !== undefined && reveal.applies(request)) {
        request.spendRevealBudget = async () => applyOutcomes(request, reply, [...outcomes, await reveal.check(request)]);
      }
    };
    const settled = checks.length === 1 ? checks[0]!.then((outcome) => [outcome]) : Promise.all(checks);
    settled.then((outcomes) => {
      try {
        apply(outcomes);
      } catch (error) {
        return done(error as Error);
      }
      done();
    }, done);
  });
}

/** Headers from the tightest limit; 429 when any is exceeded. */
function applyOutcomes(request: FastifyRequest, reply: FastifyReply, outcomes: Outcome[]) {
  const counted = outcomes.filter((o): o is Counted => !o.isAllowed && Number.isFinite(o.max));
  if (counted.length === 0) return;
  const exceeded = counted.find((o) => o.isExceeded);
  if (exceeded !== undefined) throw refusal(request, reply, exceeded);
  const tightest = counted.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  reply.header('x-ratelimit-limit', tightest.max);
  reply.header('x-ratelimit-remaining', tightest.remaining);
  reply.header('x-ratelimit-reset', tightest.ttlInSeconds);
}

function refusal(request: FastifyRequest, reply: FastifyReply, exceeded: Counted): AppError {
  const retryAfter = Math.max(1, exceeded.ttlInSeconds);
  reply.header('x-ratelimit-limit', exceeded.max);
  reply.header('x-ratelimit-remaining', 0);
  reply.header('x-ratelimit-reset', retryAfter);
  request.log.warn({ event: 'rate-limited', route: request.routeOptions.url }, 'rate limit exceeded');
  return new AppError('too-many-requests', `Too many requests; retry in ${retryAfter} s.`, {}, { retryAfterSeconds: retryAfter });
}
