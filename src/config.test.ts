import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandUrlWarnings, ConfigError, loadConfig } from './config.js';
import { systemClock } from './core/clock.js';
import { createBrandExchange } from './exchange/create-exchange.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  // toMatchObject, not toEqual: other variables join the config over time; each keeps its own test.
  it('has a default for every variable', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 8080,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      databaseUrl: `sqlite:${path.join(path.resolve('./data'), 'fleetvault.db')}`,
      publicUrl: 'http://localhost:8080',
      tokenTtlSeconds: 900,
      logLevel: 'info',
      masterKeys: undefined,
      masterKeyFile: undefined,
      metricsPort: undefined,
      assertionMaxSkewSeconds: 30,
      requestTimeoutMs: 30_000,
      corsOrigins: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('limits each source address to 3000 unauthenticated requests per window by default; 0 disables', () => {
    expect(loadConfig({}).rateLimit.perAddress).toBe(3000);
    expect(loadConfig({ FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '0' }).rateLimit.perAddress).toBe(0);
    expect(() => loadConfig({ FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '-1' })).toThrow(/FLEETVAULT_RATE_LIMIT_PER_ADDRESS/);
  });

  it('limits ?verify=true writes to 30 per minute per client by default; names Redis keys under fleetvault:rl:', () => {
    expect(loadConfig({}).rateLimit).toMatchObject({ verifyPerClientPerMinute: 30, redisKeyPrefix: 'fleetvault:rl:' });
    expect(loadConfig({ FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE: '0' }).rateLimit.verifyPerClientPerMinute).toBe(0);
    expect(() => loadConfig({ FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE: 'x' })).toThrow(/FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE/);
    expect(loadConfig({ FLEETVAULT_RATE_LIMIT_REDIS_PREFIX: 'staging:rl:' }).rateLimit.redisKeyPrefix).toBe('staging:rl:');
    expect(() => loadConfig({ FLEETVAULT_RATE_LIMIT_REDIS_PREFIX: 'has space' })).toThrow(/FLEETVAULT_RATE_LIMIT_REDIS_PREFIX/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '', DATABASE_URL: '', FLEETVAULT_MASTER_KEYS: '' })).toMatchObject({
      port: 8080,
      logLevel: 'info',
      masterKeys: undefined,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '9090',
      HOST: '0.0.0.0',
      FLEETVAULT_DATA_DIR: '/var/lib/fleetvault',
      DATABASE_URL: 'postgres://vault@db:5432/vault',
      FLEETVAULT_PUBLIC_URL: 'https://vault.example.com/',
      FLEETVAULT_TOKEN_TTL_SECONDS: '300',
      LOG_LEVEL: 'warn',
      FLEETVAULT_MASTER_KEYS: 'k1:abc',
      FLEETVAULT_MASTER_KEY_FILE: '/run/secrets/keys',
      METRICS_PORT: '9464',
      FLEETVAULT_ASSERTION_MAX_SKEW_SECONDS: '10',
      FLEETVAULT_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 9090,
      host: '0.0.0.0',
      dataDir: '/var/lib/fleetvault',
      databaseUrl: 'postgres://vault@db:5432/vault',
      publicUrl: 'https://vault.example.com',
      tokenTtlSeconds: 300,
      logLevel: 'warn',
      masterKeys: 'k1:abc',
      masterKeyFile: '/run/secrets/keys',
      metricsPort: 9464,
      assertionMaxSkewSeconds: 10,
      corsOrigins: ['https://app.example.com', 'http://localhost:3000'],
    });
  });

  it('derives the database file and public URL from the data dir and port', () => {
    const config = loadConfig({ FLEETVAULT_DATA_DIR: '/tmp/fv-data', PORT: '8443' });
    expect(config.databaseUrl).toBe('sqlite:/tmp/fv-data/fleetvault.db');
    expect(config.publicUrl).toBe('http://localhost:8443');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['FLEETVAULT_TOKEN_TTL_SECONDS', '59'],
    ['FLEETVAULT_TOKEN_TTL_SECONDS', '86401'],
    ['FLEETVAULT_TOKEN_TTL_SECONDS', 'ten'],
    ['LOG_LEVEL', 'verbose'],
    ['METRICS_PORT', '0'],
    ['METRICS_PORT', 'nine'],
    ['FLEETVAULT_ASSERTION_MAX_SKEW_SECONDS', '0'],
    ['FLEETVAULT_CORS_ORIGINS', 'https://app.example.com/path'],
    ['FLEETVAULT_CORS_ORIGINS', '*'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_URL', 'mysql://root@localhost/vault'],
    ['DATABASE_URL', '/var/lib/fleetvault.db'],
    ['FLEETVAULT_PUBLIC_URL', 'not a url'],
    ['FLEETVAULT_PUBLIC_URL', 'ftp://vault.example.com'],
    ['FLEETVAULT_TRUST_PROXY', 'yes'],
    ['FLEETVAULT_TRUST_PROXY', '10.0.0.0/33'],
    ['FLEETVAULT_TRUST_PROXY', 'proxy.internal'],
    ['FLEETVAULT_TRUST_PROXY', 'true'],
    ['FLEETVAULT_TRUST_PROXY', '2'],
    ['FLEETVAULT_TRUST_PROXY', '10.0.0.1,garbage'],
  ])('a bad %s (%s) is a ConfigError naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
    expect(error.message).toMatch(/^invalid configuration: /);
  });

  it('names every bad variable at once', () => {
    const error = configError({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('LOG_LEVEL');
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['10.0.0.0/8, 127.0.0.1,::1', '10.0.0.0/8, 127.0.0.1,::1'],
  ])('FLEETVAULT_TRUST_PROXY=%s means %s', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { FLEETVAULT_TRUST_PROXY: value }).trustProxy).toBe(expected);
  });

  it('brand exchange: FLEETVAULT_BRAND_TIMEOUT_MS and FLEETVAULT_BRAND_URL_<SLUG> (slug lower-cased, _ as -)', () => {
    expect(loadConfig({})).toMatchObject({ brandTimeoutMs: 5000, brandUrls: {} });
    const config = loadConfig({
      FLEETVAULT_BRAND_TIMEOUT_MS: '250',
      FLEETVAULT_BRAND_URL_HIGH_MOBILITY: 'http://127.0.0.1:9403',
      FLEETVAULT_BRAND_URL_SEGWAY: '',
    });
    expect(config).toMatchObject({ brandTimeoutMs: 250, brandUrls: { 'high-mobility': 'http://127.0.0.1:9403' } });
    expect(configError({ FLEETVAULT_BRAND_URL_TESLA: 'http://127.0.0.1:9402/oauth2' }).message).toContain('FLEETVAULT_BRAND_URL_TESLA');
    expect(configError({ FLEETVAULT_BRAND_TIMEOUT_MS: '10' }).message).toContain('FLEETVAULT_BRAND_TIMEOUT_MS');
  });

  it('refuses a FLEETVAULT_BRAND_URL_* that names no brand with an exchange, an alias or a misspelt one, naming the variable', () => {
    expect(configError({ FLEETVAULT_BRAND_URL_NOPE: 'http://127.0.0.1:9401' }).message).toMatch(
      /FLEETVAULT_BRAND_URL_NOPE: names no brand; the brand overrides are .*FLEETVAULT_BRAND_URL_HIGH_MOBILITY/,
    );
    // openobd's alias: the override would otherwise be ignored and the vault would call the real brand.
    expect(configError({ FLEETVAULT_BRAND_URL_JIFELINE: 'http://127.0.0.1:9401' }).message).toContain(
      'FLEETVAULT_BRAND_URL_JIFELINE: names no brand: use FLEETVAULT_BRAND_URL_OPENOBD',
    );
    expect(configError({ FLEETVAULT_BRAND_URL_high_mobility: 'http://127.0.0.1:9401' }).message).toContain(
      'use FLEETVAULT_BRAND_URL_HIGH_MOBILITY',
    );
    expect(configError({ FLEETVAULT_BRAND_URL_NIU: 'http://127.0.0.1:9401' }).message).toContain(
      'FLEETVAULT_BRAND_URL_NIU: niu has no token exchange',
    );
  });

  it('production: an http: brand URL is refused unless FLEETVAULT_ALLOW_HTTP_BRAND_URLS=true; https: is accepted', () => {
    const production = { NODE_ENV: 'production', FLEETVAULT_BRAND_URL_SMARTCAR: 'http://staging-brands.internal:9405' };
    expect(configError(production).message).toMatch(
      /FLEETVAULT_BRAND_URL_SMARTCAR: an http: brand URL in production .*FLEETVAULT_ALLOW_HTTP_BRAND_URLS=true/,
    );
    expect(loadConfig({ ...production, FLEETVAULT_ALLOW_HTTP_BRAND_URLS: 'true' })).toMatchObject({
      brandUrls: { smartcar: 'http://staging-brands.internal:9405' },
      allowHttpBrandUrls: true,
    });
    expect(loadConfig({ NODE_ENV: 'production', FLEETVAULT_BRAND_URL_SMARTCAR: 'https://staging-brands.internal' }).brandUrls).toEqual({
      smartcar: 'https://staging-brands.internal',
    });
    // Outside production the emulators on loopback stay plain http.
    expect(loadConfig({ FLEETVAULT_BRAND_URL_SMARTCAR: 'http://127.0.0.1:9405' }).allowHttpBrandUrls).toBe(false);
    expect(configError({ FLEETVAULT_ALLOW_HTTP_BRAND_URLS: 'yes' }).message).toContain('FLEETVAULT_ALLOW_HTTP_BRAND_URLS');
  });

  it('production: each brand override is a start-up warning naming its variable and origin; none in development', () => {
    const env = {
      FLEETVAULT_BRAND_URL_SMARTCAR: 'https://smartcar.staging.example',
      FLEETVAULT_BRAND_URL_HIGH_MOBILITY: 'https://hm.staging.example',
    };
    const warnings = brandUrlWarnings(loadConfig({ ...env, NODE_ENV: 'production' }));
    expect(warnings.map((w) => [w.variable, w.origin])).toEqual([
      ['FLEETVAULT_BRAND_URL_SMARTCAR', 'https://smartcar.staging.example'],
      ['FLEETVAULT_BRAND_URL_HIGH_MOBILITY', 'https://hm.staging.example'],
    ]);
    expect(warnings[0]!.message).toMatch(
      /^FLEETVAULT_BRAND_URL_SMARTCAR is set: smartcar token exchanges send the stored secrets to https:\/\/smartcar/,
    );
    expect(brandUrlWarnings(loadConfig(env))).toEqual([]);
  });

  it('production: the exchange wiring logs each brand override with logger.warn at start-up', () => {
    const warned: { object: object; message: string }[] = [];
    const config = loadConfig({ NODE_ENV: 'production', FLEETVAULT_BRAND_URL_TESLA: 'https://tesla.staging.example' });
    createBrandExchange({
      config,
      clock: systemClock,
      store: { transaction: () => Promise.reject(new Error('unused')) },
      audit: { append: () => Promise.reject(new Error('unused')) },
      credentials: { openForExchange: () => Promise.reject(new Error('unused')) },
      logger: { warn: (object, message) => warned.push({ object, message }) },
    });
    expect(warned).toEqual([
      {
        object: { variable: 'FLEETVAULT_BRAND_URL_TESLA', origin: 'https://tesla.staging.example' },
        message: expect.stringContaining('FLEETVAULT_BRAND_URL_TESLA is set') as unknown as string,
      },
    ]);
  });
});
