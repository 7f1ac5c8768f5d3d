import { brands } from '../brands/brand-registry.js';

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
