import path from 'node:path';
import { z } from 'zod';

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
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `id:base64` pairs, first active; undefined when not configured. */
  readonly masterKeys: string | undefined;
  readonly masterKeyFile: string | undefined;
}

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

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
  FLEETVAULT_TOKEN_TTL_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(60).max(86_400).default(900)),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  FLEETVAULT_MASTER_KEYS: z.preprocess(emptyAsUndefined, z.string().max(65_536).optional()),
  FLEETVAULT_MASTER_KEY_FILE: z.preprocess(emptyAsUndefined, z.string().max(4096).optional()),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
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
    logLevel: e.LOG_LEVEL,
    masterKeys: e.FLEETVAULT_MASTER_KEYS,
    masterKeyFile: e.FLEETVAULT_MASTER_KEY_FILE,
  });
}
