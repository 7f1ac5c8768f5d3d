import pino, { type DestinationStream, type Logger } from 'pino';
import { brands } from './brands/brand-registry.js';

/** Every field name that can carry a secret: brand secrets plus the token endpoint's. */
export const secretFieldNames: readonly string[] = [
  ...new Set([
    ...brands.flatMap((b) => b.secretFields),
    'client_secret',
    'assertion',
    'client_assertion',
    'private_key',
    'access_token',
    'password',
  ]),
];

/** pino redaction paths: headers that carry credentials and any secret field at the top two levels. */
export const redactPaths: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...secretFieldNames.flatMap((name) => [name, `*.${name}`, `body.${name}`, `req.body.${name}`]),
];

/**
 * The process logger: pino JSON with the redaction above, also when stdout is a terminal
 * (pino-pretty is not a dependency; pipe through it locally if wanted).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'fleetvault' } }, destination);
}
