import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { assertionIssuer } from '../tokens/token.routes.js';
import { AppError } from './app-error.js';

/** Probes and metrics scrapes are never limited. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);
/** The token endpoints: limited per presented client id and per source address (brute force, issue 3). */
const TOKEN_ROUTES = new Set(['/oauth/token', '/v1/auth_tokens']);

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type Outcome = Awaited<ReturnType<Limiter>>;

/** Who a token request claims to be, read without verifying anything: Basic user, body client_id, or the assertion's iss. */
export function presentedTokenClient(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return decoded.slice(0, Math.min(colon, 64)).toUpperCase();
  }
  const body = (request.body ?? {}) as Record<string, unknown>;
  const fromBody = typeof body.client_id === 'string' ? body.client_id : undefined;
  const jwt = [body.client_assertion, body.assertion].find((v): v is string => typeof v === 'string');
  const id = fromBody ?? assertionIssuer(jwt);
  return id === undefined ? undefined : id.slice(0, 64).toUpperCase();
}

/**
 * Rate limits (@fastify/rate-limit's counters, in Redis when REDIS_URL is set so replicas share
 * them): a global limit per authenticated client (per address otherwise), and on the token
 * endpoints one per presented client id and one per source address. Runs as a preHandler, after
 * authentication (onRequest) and body parsing, so the keys are known. Answers 429
 * `too-many-requests` with `Retry-After`; every limited response carries `X-RateLimit-*`.
 * When Redis is unreachable the limits are skipped (fail open) and the failure is logged.
 */
export async function registerRateLimits(app: FastifyInstance, config: Pick<Config, 'rateLimit' | 'redisUrl'>): Promise<void> {
  const { windowSeconds, perClient, tokenPerClient, tokenPerAddress } = config.rateLimit;
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
          check: app.createRateLimit({ max, timeWindow: windowSeconds * 1000, keyGenerator: (request) => `${prefix}:${key(request) ?? request.ip}` }),
          applies: (request: FastifyRequest) => key(request) !== undefined,
        };
  const global = limiter(perClient, 'client', (request) => request.principal?.clientId ?? `ip:${request.ip}`);
  const tokenClient = limiter(tokenPerClient, 'token-client', presentedTokenClient);
  const tokenAddress = limiter(tokenPerAddress, 'token-ip', (request) => request.ip);

  app.addHook('preHandler', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === undefined || UNLIMITED.has(url)) return;
    const limiters = TOKEN_ROUTES.has(url) ? [tokenAddress, tokenClient] : [global];
    const outcomes: Outcome[] = [];
    for (const l of limiters) {
      if (l === undefined || !l.applies(request)) continue;
      outcomes.push(await l.check(request));
    }
    applyOutcomes(request, reply, outcomes);
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
