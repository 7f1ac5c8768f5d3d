import { z } from 'zod';
import { enodeAdapter } from '../adapters/enode.js';
import { defineBrand, plainField, secretField } from '../define-brand.js';

export const enode = defineBrand({
  slug: 'enode',
  displayName: 'Enode',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'Enode client id.' },
    environment: {
      kind: 'setting',
      schema: z.enum(['sandbox', 'production']),
      description: 'Enode environment: sandbox or production.',
    },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Enode client secret.' },
  },
  tokenExchange: 'OAuth2 client credentials (HTTP Basic)',
  exchange: enodeAdapter,
});
