import { z } from 'zod';
import { teslaAdapter } from '../adapters/tesla.js';
import { defineBrand, p256PrivateKeyPem, plainField, secretField } from '../define-brand.js';

/**
 * Tesla Fleet API partner credentials. The partner token comes from
 * `https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/token` (na, eu; `auth.tesla.cn` for cn), not the
 * `auth.tesla.com` the partner-tokens page (developer.tesla.com/docs/fleet-api/authentication/partner-tokens)
 * still shows: Tesla's July 2025 notice to Fleet API partners moved token calls to that host, and the
 * third-party-tokens page (developer.tesla.com/docs/fleet-api/authentication/third-party-tokens) uses it.
 * The request itself: src/brands/adapters/tesla.ts; the decision: docs/brands.md.
 */
export const tesla = defineBrand({
  slug: 'tesla',
  displayName: 'Tesla Fleet API',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'Tesla application client id.' },
    region: { kind: 'setting', schema: z.enum(['na', 'eu', 'cn']), description: 'Fleet API region: na, eu or cn.' },
    app_domain: {
      kind: 'setting',
      schema: plainField()
        .regex(/^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, 'must be a domain name')
        .optional(),
      description: 'Domain registered with Tesla for the application (hosts the public key).',
    },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Tesla client secret.' },
    private_key: {
      kind: 'secret',
      schema: p256PrivateKeyPem().optional(),
      rotatable: true,
      description: 'Optional P-256 private key (PEM) for vehicle commands.',
    },
  },
  tokenExchange: 'partner token: OAuth2 client credentials with audience',
  exchange: teslaAdapter,
  publicKey: {
    field: 'private_key',
    operationId: 'getTeslaPublicKey',
    summary: 'The PEM public key of a Tesla credential\u2019s private key',
    description:
      'Tesla\u2019s Fleet API reads the partner\u2019s public key at /.well-known/appspecific/com.tesla.3p.public-key.pem on its ' +
      'app_domain: host this there. 404 when the credential holds no private_key.',
  },
});
