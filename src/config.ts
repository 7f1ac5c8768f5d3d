import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { keyLabelsSchema, type Pkcs11Settings, pkcs11SettingsFrom } from './crypto/pkcs11-settings.js';
import { brandUrlsFrom, ConfigError, isOrigin } from './config-brand-urls.js';
import { type OidcSettings, oidcSettingsFrom } from './config-oidc.js';
import { parseAllowHosts } from './webhooks/webhook-address.js';
import { allowHostsText, parseRetrySchedule, retryScheduleText, type WebhookSettings } from './webhooks/webhook-settings.js';

export { brandUrlVariable, brandUrlWarnings, ConfigError } from './config-brand-urls.js';

/**
 * Everything fleetvault reads from the environment, parsed once at start-up.
 * A bad value stops the start with a message naming the variable.
 */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly publicUrl: string;
  readonly tokenTtlSeconds: number;
  /** A person's access tokens (docs/design.md §2.11): at most MAX_TOKEN_TTL_SECONDS, as every access token. */
  readonly personTokenTtlSeconds: number;
  /** Key-client assertions: `iat` within ± this many seconds of now (RFC 7523 §3). */
  readonly assertionMaxSkewSeconds: number;
  /** A request (headers and body) must arrive whole within this; Node's own timer (README "HTTP limits"). */
  readonly requestTimeoutMs: number;
  /** Rate limits (0 disables one): requests per window per client (per address when unauthenticated). */
  readonly rateLimit: {
    readonly windowSeconds: number;
    readonly perClient: number;
    /**
     * Requests that do not authenticate, per source address (an IPv6 address by its /64): refused or
     * missing tokens, unmatched paths, failed token requests, public routes (docs/operations.md).
     */
    readonly perAddress: number;
    /** The token endpoints, per presented client id and per source address (brute force). */
    readonly tokenPerClient: number;
    readonly tokenPerAddress: number;
    /** Secret reveals per client (docs/design.md §2.7): each hands a secret out, so far fewer than other calls. */
    readonly revealPerClient: number;
    /** `?verify=true` writes per client in a fixed 60 s window: each one calls the brand with the secrets given. */
    readonly verifyPerClientPerMinute: number;
    /** Redis keys of the counters: `<prefix><class>:<key>`. */
    readonly redisKeyPrefix: string;
  };
  /** Secret versions kept per credential, the current one included (docs/design.md §2.8). */
  readonly secretVersionsKept: number;
  /** Shared rate-limit counters across replicas; undefined keeps them per process. */
  readonly redisUrl: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `id:base64` pairs, first active; undefined when not configured. */
  readonly masterKeys: string | undefined;
  readonly masterKeyFile: string | undefined;
  /** Which provider's key wraps (docs/hsm.md); `pkcs11` settings undefined unless FLEETVAULT_PKCS11_MODULE is set. */
  readonly masterKeyProvider: 'file' | 'pkcs11';
  readonly pkcs11: Pkcs11Settings | undefined;
  /** Serve /metrics on this port only (not on PORT); undefined: /metrics on PORT. */
  readonly metricsPort: number | undefined;
  /** Browser origins allowed by CORS; empty: CORS off (no Access-Control-* headers). */
  readonly corsOrigins: readonly string[];
  /**
   * Which proxies' X-Forwarded-For to believe (fastify's trustProxy, i.e. proxy-addr): false (none,
   * the default) or proxy addresses/CIDRs only. `true` would take the left-most (caller-forgeable)
   * entry and a hop count is not honoured as passed, so both are refused (docs/operations.md).
   */
  readonly trustProxy: false | string;
  /** Brand token exchange (docs/design.md §2.9): per-attempt timeout and per-brand origin overrides (`FLEETVAULT_BRAND_URL_<SLUG>`). */
  readonly brandTimeoutMs: number;
  readonly brandUrls: Readonly<Record<string, string>>;
  /** `FLEETVAULT_ALLOW_HTTP_BRAND_URLS=true`: production may send secrets to an `http:` brand override (docs/brands.md). */
  readonly allowHttpBrandUrls: boolean;
  /** The watch stream `GET /events` (docs/design.md §2.13, docs/events.md). */
  readonly events: {
    /** A comment line this often on every open stream, so proxies keep it open. */
    readonly heartbeatMs: number;
    /** Each fleet with open streams reads the audit trail this often, for the events other replicas wrote. */
    readonly pollMs: number;
    /** Streams one client may hold open on one replica; one more is 429. */
    readonly maxStreamsPerClient: number;
  };
  /** Webhooks (docs/webhooks.md). */
  readonly webhooks: WebhookSettings;
  /** Person sign-in at the organisation's identity provider (`FLEETVAULT_OIDC_*`, docs/sign-in.md); undefined: off. */
  readonly oidc: OidcSettings | undefined;
}

/**
 * The longest access-token lifetime a server accepts. Signing-key retirement waits this long after a
 * rotation, whatever lifetime the rotating process is configured with (docs/security.md).
 */
export const MAX_TOKEN_TTL_SECONDS = 86_400;

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

function isTrustProxy(value: string): boolean {
  if (value === 'false') return true;
  return value.split(',').every((part) => {
    const [address, bits, ...rest] = part.trim().split('/');
    const family = isIP(address ?? '');
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
}

const envSchema = z.object({
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(8080)),
  HOST: z.preprocess(emptyAsUndefined, z.string().min(1).max(255).default('127.0.0.1')),
  FLEETVAULT_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().min(1).max(4096).default('./data')),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .max(4096)
      .refine((v) => /^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(v), 'must start with sqlite:, postgres:// or postgresql://')
      .optional(),
  ),
  FLEETVAULT_PUBLIC_URL: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
  ),
  FLEETVAULT_TOKEN_TTL_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(60).max(MAX_TOKEN_TTL_SECONDS).default(900)),
  FLEETVAULT_PERSON_TOKEN_TTL_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(60).max(MAX_TOKEN_TTL_SECONDS).default(3600),
  ),
  FLEETVAULT_ASSERTION_MAX_SKEW_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(300).default(30)),
  FLEETVAULT_REQUEST_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).max(300_000).default(30_000)),
  FLEETVAULT_RATE_LIMIT_WINDOW_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(3600).default(60)),
  FLEETVAULT_RATE_LIMIT_MAX: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000_000).default(6000)),
  FLEETVAULT_RATE_LIMIT_PER_ADDRESS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000_000).default(3000)),
  FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000_000).default(60)),
  FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000_000).default(300)),
  FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000_000).default(30)),
  FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10_000_000).default(30)),
  FLEETVAULT_RATE_LIMIT_REDIS_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1 to 64 letters, digits or : . _ -')
      .default('fleetvault:rl:'),
  ),
  FLEETVAULT_SECRET_VERSIONS_KEPT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(100).default(10)),
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .max(4096)
      .refine((v) => /^rediss?:\/\//.test(v), 'must start with redis:// or rediss://')
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  FLEETVAULT_MASTER_KEYS: z.preprocess(emptyAsUndefined, z.string().max(65_536).optional()),
  FLEETVAULT_MASTER_KEY_FILE: z.preprocess(emptyAsUndefined, z.string().max(4096).optional()),
  FLEETVAULT_MASTER_KEY_PROVIDER: z.preprocess(emptyAsUndefined, z.enum(['file', 'pkcs11']).default('file')),
  FLEETVAULT_PKCS11_MODULE: z.preprocess(emptyAsUndefined, z.string().max(4096).optional()),
  FLEETVAULT_PKCS11_TOKEN_LABEL: z.preprocess(emptyAsUndefined, z.string().max(32).optional()),
  FLEETVAULT_PKCS11_SLOT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(4_294_967_295).optional()),
  FLEETVAULT_PKCS11_PIN: z.preprocess(emptyAsUndefined, z.string().max(256).optional()),
  FLEETVAULT_PKCS11_PIN_FILE: z.preprocess(emptyAsUndefined, z.string().max(4096).optional()),
  FLEETVAULT_PKCS11_KEY_LABEL: z.preprocess(emptyAsUndefined, keyLabelsSchema.default('fleetvault-root')),
  METRICS_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(65535).optional()),
  FLEETVAULT_TRUST_PROXY: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .max(4096)
      .refine(isTrustProxy, 'must be false or comma-separated proxy addresses/CIDRs (true and hop counts are refused)')
      .transform((v): false | string => (v === 'false' ? false : v))
      .default(false),
  ),
  FLEETVAULT_CORS_ORIGINS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .max(8192)
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o !== ''),
      )
      .refine(
        (origins) => origins.every(isOrigin),
        'must be comma-separated origins such as https://app.example.com (scheme, host, optional port; no path, no *)',
      )
      .default([]),
  ),
  FLEETVAULT_BRAND_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).max(60_000).default(5000)),
  // At most 60 s: below the socket inactivity limit (app.ts CONNECTION_TIMEOUT_MS), which would otherwise cut idle streams.
  FLEETVAULT_EVENTS_HEARTBEAT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(50).max(60_000).default(15_000)),
  FLEETVAULT_EVENTS_POLL_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(20).max(60_000).default(1000)),
  FLEETVAULT_EVENTS_MAX_STREAMS_PER_CLIENT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1000).default(5)),
  FLEETVAULT_ALLOW_HTTP_BRAND_URLS: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .default(false),
  ),
  FLEETVAULT_WEBHOOK_ALLOW_HOSTS: z.preprocess(emptyAsUndefined, allowHostsText.optional()),
  FLEETVAULT_WEBHOOK_RETRY_SCHEDULE: z.preprocess(emptyAsUndefined, retryScheduleText.default('5,300,1800,7200,18000,36000')),
  FLEETVAULT_WEBHOOK_TIMEOUT_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).max(60_000).default(10_000)),
  FLEETVAULT_WEBHOOK_CONCURRENCY: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(256).default(8)),
  // Person sign-in (docs/sign-in.md); the rules between them are in config-oidc.ts.
  FLEETVAULT_OIDC_ISSUER: z.preprocess(
    emptyAsUndefined,
    z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
  ),
  FLEETVAULT_OIDC_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().trim().max(256).optional()),
  FLEETVAULT_OIDC_CLIENT_SECRET: z.preprocess(emptyAsUndefined, z.string().max(1024).optional()),
  FLEETVAULT_OIDC_CLIENT_SECRET_FILE: z.preprocess(emptyAsUndefined, z.string().max(4096).optional()),
  FLEETVAULT_OIDC_SCOPES: z.preprocess(emptyAsUndefined, z.string().trim().max(1024).default('openid email profile')),
  FLEETVAULT_OIDC_DISPLAY_NAME: z.preprocess(emptyAsUndefined, z.string().trim().max(64).optional()),
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const pkcs11 = pkcs11SettingsFrom(e);
  if (pkcs11.problems.length > 0) throw new ConfigError(`invalid configuration: ${pkcs11.problems.join('; ')}`);
  const dataDir = path.resolve(e.FLEETVAULT_DATA_DIR);
  const publicUrl = (e.FLEETVAULT_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'fleetvault.db')}`,
    publicUrl,
    tokenTtlSeconds: e.FLEETVAULT_TOKEN_TTL_SECONDS,
    personTokenTtlSeconds: e.FLEETVAULT_PERSON_TOKEN_TTL_SECONDS,
    assertionMaxSkewSeconds: e.FLEETVAULT_ASSERTION_MAX_SKEW_SECONDS,
    requestTimeoutMs: e.FLEETVAULT_REQUEST_TIMEOUT_MS,
    rateLimit: Object.freeze({
      windowSeconds: e.FLEETVAULT_RATE_LIMIT_WINDOW_SECONDS,
      perClient: e.FLEETVAULT_RATE_LIMIT_MAX,
      perAddress: e.FLEETVAULT_RATE_LIMIT_PER_ADDRESS,
      tokenPerClient: e.FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT,
      tokenPerAddress: e.FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS,
      revealPerClient: e.FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT,
      verifyPerClientPerMinute: e.FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE,
      redisKeyPrefix: e.FLEETVAULT_RATE_LIMIT_REDIS_PREFIX,
    }),
    secretVersionsKept: e.FLEETVAULT_SECRET_VERSIONS_KEPT,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    masterKeys: e.FLEETVAULT_MASTER_KEYS,
    masterKeyFile: e.FLEETVAULT_MASTER_KEY_FILE,
    masterKeyProvider: e.FLEETVAULT_MASTER_KEY_PROVIDER,
    pkcs11: pkcs11.settings,
    metricsPort: e.METRICS_PORT,
    corsOrigins: Object.freeze(e.FLEETVAULT_CORS_ORIGINS),
    trustProxy: e.FLEETVAULT_TRUST_PROXY,
    brandTimeoutMs: e.FLEETVAULT_BRAND_TIMEOUT_MS,
    brandUrls: Object.freeze(brandUrlsFrom(env, e.NODE_ENV === 'production', e.FLEETVAULT_ALLOW_HTTP_BRAND_URLS)),
    allowHttpBrandUrls: e.FLEETVAULT_ALLOW_HTTP_BRAND_URLS,
    events: Object.freeze({
      heartbeatMs: e.FLEETVAULT_EVENTS_HEARTBEAT_MS,
      pollMs: e.FLEETVAULT_EVENTS_POLL_MS,
      maxStreamsPerClient: e.FLEETVAULT_EVENTS_MAX_STREAMS_PER_CLIENT,
    }),
    webhooks: Object.freeze({
      allowHosts: Object.freeze(parseAllowHosts(e.FLEETVAULT_WEBHOOK_ALLOW_HOSTS ?? '')),
      retryScheduleSeconds: Object.freeze(parseRetrySchedule(e.FLEETVAULT_WEBHOOK_RETRY_SCHEDULE)),
      timeoutMs: e.FLEETVAULT_WEBHOOK_TIMEOUT_MS,
      concurrency: e.FLEETVAULT_WEBHOOK_CONCURRENCY,
    }),
    oidc: oidcSettingsFrom(e),
  });
}
