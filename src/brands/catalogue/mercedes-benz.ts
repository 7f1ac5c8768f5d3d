import { defineBrand, plainField, secretField } from '../define-brand.js';

export const mercedesBenz = defineBrand({
  slug: 'mercedes-benz',
  displayName: 'Mercedes-Benz',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'Mercedes-Benz developer client id.' },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Mercedes-Benz client secret.' },
  },
  tokenExchange: 'none known',
  // No documented token flow the vault could run for it: 409 exchange-not-supported.
  exchange: null,
});
