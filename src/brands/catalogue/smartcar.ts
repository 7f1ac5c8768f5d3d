import { smartcarAdapter } from '../adapters/smartcar.js';
import { defineBrand, plainField, secretField } from '../define-brand.js';

export const smartcar = defineBrand({
  slug: 'smartcar',
  displayName: 'Smartcar',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'Smartcar application client id.' },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Smartcar client secret.' },
  },
  tokenExchange: 'OAuth2 client credentials',
  exchange: smartcarAdapter,
});
