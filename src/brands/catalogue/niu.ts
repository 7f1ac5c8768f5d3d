import { defineBrand, plainField, secretField } from '../define-brand.js';

export const niu = defineBrand({
  slug: 'niu',
  displayName: 'NIU',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'NIU fleet API client id.' },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'NIU fleet API client secret.' },
  },
  tokenExchange: 'none known',
  // No documented token flow the vault could run for it: 409 exchange-not-supported.
  exchange: null,
});
