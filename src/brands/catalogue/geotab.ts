import { geotabAdapter } from '../adapters/geotab.js';
import { defineBrand, plainField, secretField } from '../define-brand.js';

/** `geotab.com` or `<label>.….geotab.com`, each label a DNS label (RFC 1035 §2.3.1). */
export function isGeotabHost(host: string): boolean {
  const labels = host.toLowerCase().split('.');
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
  return labels.length >= 2 && labels.at(-2) === 'geotab' && labels.at(-1) === 'com' && labels.every((l) => label.test(l));
}

export const geotab = defineBrand({
  slug: 'geotab',
  displayName: 'Geotab',
  fields: {
    database: { kind: 'identity', schema: plainField(), description: 'MyGeotab database name.' },
    username: { kind: 'identity', schema: plainField(), description: 'MyGeotab user name.' },
    server: {
      kind: 'setting',
      schema: plainField()
        // The vault sends the password to this host (docs/design.md §2.9): only Geotab's own, never an
        // address of the caller's choosing (an IP literal, localhost, geotab.com.evil.example).
        .refine(isGeotabHost, 'must be geotab.com or one of its subdomains (e.g. my.geotab.com)')
        .default('my.geotab.com'),
      description: 'MyGeotab server host: geotab.com or a subdomain (default my.geotab.com).',
    },
    password: { kind: 'secret', schema: secretField(), rotatable: true, description: 'MyGeotab password.' },
  },
  tokenExchange: 'JSON-RPC Authenticate',
  exchange: geotabAdapter,
});
