import { defineBrand, plainField, secretField } from '../define-brand.js';

export const geotab = defineBrand({
  slug: 'geotab',
  displayName: 'Geotab',
  fields: {
    database: { kind: 'identity', schema: plainField(), description: 'MyGeotab database name.' },
    username: { kind: 'identity', schema: plainField(), description: 'MyGeotab user name.' },
    server: {
      kind: 'setting',
      schema: plainField()
        .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')
        .default('my.geotab.com'),
      description: 'MyGeotab server host (default my.geotab.com).',
    },
    password: { kind: 'secret', schema: secretField(), rotatable: true, description: 'MyGeotab password.' },
  },
  tokenExchange: 'JSON-RPC Authenticate',
});
