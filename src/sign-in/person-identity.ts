import type { VerifiedIdentity } from '../people/person-sign-in.service.js';

/** The verified identity as a sign-in row keeps it between the callback and the token request (JSON, no IdP token). */
export const identityText = (identity: VerifiedIdentity) => JSON.stringify(identity);

export function identityOf(text: string): VerifiedIdentity {
  const parsed = JSON.parse(text) as VerifiedIdentity;
  if (typeof parsed.issuer !== 'string' || typeof parsed.subject !== 'string' || typeof parsed.claims !== 'object') {
    throw new TypeError('a stored sign-in identity is malformed');
  }
  return parsed;
}

/** The name a person is shown under: email, then name, then subject (as the audit label, person-sign-in.service.ts). */
export const personLabel = (identity: VerifiedIdentity) => identity.email ?? identity.name ?? identity.subject;
