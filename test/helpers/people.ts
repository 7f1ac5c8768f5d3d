import type { TestApp } from './test-app.js';
import type { VerifiedIdentity } from '../../src/people/person-sign-in.service.js';

/** An identity as the relying party hands it over after checking the ID token (docs/design.md §2.11). */
export function identity(subject: string, claims: Record<string, unknown> = {}): VerifiedIdentity {
  const email = `${subject}@fleetco.example`;
  return {
    issuer: 'https://idp.fleetco.example',
    subject,
    email,
    name: `Person ${subject}`,
    claims: { sub: subject, email, email_verified: true, ...claims },
  };
}

/** A sign-in rule created through the API, and a person token issued through it (the sign-in service). */
export async function personToken(
  t: TestApp,
  adminToken: string,
  rule: { claim?: string; equals: string; scopes?: string[]; restrict?: unknown },
  who: VerifiedIdentity,
): Promise<{ ruleId: string; token: string; personId: string; fleetId: string }> {
  const created = await t.call(adminToken, 'POST', '/sign-in-rules', { claim: 'groups', ...rule });
  if (created.statusCode !== 201) throw new Error(`rule creation failed: ${created.statusCode} ${created.body}`);
  const ruleId = created.json().id as string;
  const fleetId = created.json().fleet_id as string;
  const signedIn = await t.deps.services.personSignIn.signIn(who, fleetId, null);
  return { ruleId, token: signedIn.access_token, personId: signedIn.person.id, fleetId };
}
