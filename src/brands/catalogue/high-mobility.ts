import { z } from 'zod';
import { highMobilityAdapter } from '../adapters/high-mobility.js';
import { defineBrand, p256PrivateKeyPem, plainField, secretField } from '../define-brand.js';

export const highMobility = defineBrand({
  slug: 'high-mobility',
  displayName: 'High Mobility',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'High Mobility OAuth client id.' },
    environment: {
      kind: 'setting',
      schema: z.enum(['sandbox', 'production']),
      description: 'High Mobility environment: sandbox or production.',
    },
    client_secret: {
      kind: 'secret',
      schema: secretField().optional(),
      rotatable: true,
      description: 'OAuth client secret; give either this or private_key + key_id.',
    },
    private_key: {
      kind: 'secret',
      schema: p256PrivateKeyPem().optional(),
      rotatable: true,
      description: 'Service-account P-256 private key (PEM) for client assertions; needs key_id.',
    },
    key_id: {
      kind: 'secret',
      schema: plainField().optional(),
      rotatable: true,
      description: "Id of the service account's key, sent with the private key's assertions; rotates with private_key.",
    },
  },
  checkSecrets(secrets) {
    const hasSecret = secrets.client_secret !== undefined;
    const hasKey = secrets.private_key !== undefined;
    if (hasSecret && hasKey) {
      return { pointer: '/private_key', detail: 'give either client_secret or private_key + key_id, not both' };
    }
    if (!hasSecret && !hasKey) {
      return { pointer: '/client_secret', detail: 'is required unless private_key + key_id are given' };
    }
    if (hasKey !== (secrets.key_id !== undefined)) {
      return hasKey
        ? { pointer: '/key_id', detail: 'is required with private_key' }
        : { pointer: '/key_id', detail: 'is only allowed with private_key' };
    }
    return undefined;
  },
  tokenExchange: '/v1/access_tokens with the client secret or a client_assertion signed by the private key',
  exchange: highMobilityAdapter,
});
