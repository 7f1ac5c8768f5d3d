import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
});
