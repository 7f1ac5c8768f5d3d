import { defineBrand, secretField } from '../define-brand.js';

export const samsara = defineBrand({
  slug: 'samsara',
  displayName: 'Samsara',
  fields: {
    api_token: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Samsara API token; the token is the credential.' },
  },
  tokenExchange: 'none (the API token is the credential)',
  // No documented token flow the vault could run for it: 409 exchange-not-supported.
  exchange: null,
  noExchangeHint: 'The Samsara API token is the credential: reveal it.',
});
