import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { AppError } from './app-error.js';

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

/**
 * Rate limits (@fastify/rate-limit's counters, in Redis when REDIS_URL is set so replicas share
 * them). Before authentication (onRequest, so refused tokens count too): one per source address
 * on every route. After authentication and body parsing (preHandler, when the keys are known):
 * one per authenticated client (per address otherwise), or on `token` routes one per claimed
 * client id and one per source address; on `reveal` routes the reveal limit is counted only
 * when the handler calls `request.spendRevealBudget()`. Answers 429 `too-many-requests` with `Retry-After`;
 * every limited response carries `X-RateLimit-*`. When Redis is unreachable the limits are
 * skipped (fail open) and the failure is logged. Register before authentication.
 */
export async function registerRateLimits(app: FastifyInstance, config: Pick<Config, 'rateLimit' | 'redisUrl'>): Promise<void> {
  const { windowSeconds, perClient, perAddress, tokenPerClient, tokenPerAddress, revealPerClient } = config.rateLimit;
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
    ...(redis !== undefined && { redis, nameSpace: 'fleetvault-rl:' }),
  });

  const limiter = (max: number, prefix: string, key: (request: FastifyRequest) => string | undefined) =>
    max === 0
      ? undefined
      : {
          max,
          check: app.createRateLimit({
            max,
            timeWindow: windowSeconds * 1000,
            keyGenerator: (request) => `${prefix}:${key(request) ?? request.ip}`,
          }),
          applies: (request: FastifyRequest) => key(request) !== undefined,
        };
  const address = limiter(perAddress, 'ip', (request) => request.ip);
  const global = limiter(perClient, 'client', (request) => request.principal?.clientId ?? `ip:${request.ip}`);
  const tokenClient = limiter(tokenPerClient, 'token-client', (request) => request.routeOptions.config?.claimedClient?.(request));
  const tokenAddress = limiter(tokenPerAddress, 'token-ip', (request) => request.ip);
  const reveal = limiter(revealPerClient, 'reveal-client', (request) => request.principal?.clientId);

  app.decorateRequest('spendRevealBudget', async () => {});

  // Unmatched paths count too: a scanner's 404s come from one address like a forged token's 401s.
  app.addHook('onRequest', async (request, reply) => {
    if (address === undefined || request.routeOptions.config?.rateLimitClass === 'none') return;
    const outcome = await address.check(request);
    // Headers only when refused: the limits after authentication describe the caller's own budget.
    if (!outcome.isAllowed && outcome.isExceeded) applyOutcomes(request, reply, [outcome]);
  });

  app.addHook('preHandler', async (request, reply) => {
    const limitClass = request.routeOptions.config?.rateLimitClass;
    if (request.routeOptions.url === undefined || limitClass === 'none') return;
    const limiters = limitClass === 'token' ? [tokenAddress, tokenClient] : [global];
    const outcomes: Outcome[] = [];
    for (const l of limiters) {
      if (l === undefined || !l.applies(request)) continue;
      outcomes.push(await l.check(request));
    }
    applyOutcomes(request, reply, outcomes);
    if (limitClass === 'reveal' && reveal !== undefined && reveal.applies(request)) {
      request.spendRevealBudget = async () => applyOutcomes(request, reply, [...outcomes, await reveal.check(request)]);
    }
  });
}

/** Headers from the tightest limit; 429 when any is exceeded. */
function applyOutcomes(request: FastifyRequest, reply: FastifyReply, outcomes: Outcome[]) {
  const counted = outcomes.filter((o): o is Extract<Outcome, { isAllowed: false }> => !o.isAllowed && Number.isFinite(o.max));
  if (counted.length === 0) return;
  const exceeded = counted.find((o) => o.isExceeded);
  const tightest = exceeded ?? counted.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  reply.header('x-ratelimit-limit', tightest.max);
  reply.header('x-ratelimit-remaining', tightest.remaining);
  reply.header('x-ratelimit-reset', tightest.ttlInSeconds);
  if (exceeded !== undefined) {
    reply.header('retry-after', exceeded.ttlInSeconds);
    request.log.warn({ event: 'rate-limited', route: request.routeOptions.url }, 'rate limit exceeded');
    throw new AppError('too-many-requests', `Too many requests; retry in ${exceeded.ttlInSeconds} s.`);
  }
}
