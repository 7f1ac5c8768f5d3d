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
  // The INVERS example of docs/design.md §2.1: the credential the API document shows.
  example: { name: 'NIU fleet Berlin', values: { client_id: 'client1', client_secret: 'supersecret' } },
});
