import { PERSON_SUBJECT_PREFIX } from '../core/context.js';
import type { ClientService } from '../clients/clients.service.js';
import type { SignInRuleService } from './sign-in-rules.service.js';

/**
 * Why a validly signed access token is refused all the same (docs/design.md §2.3, §2.11): a client's token
 * when the client is deleted or its secret rotated; a person's when one of the rules it was issued for is deleted.
 */
export function tokenRefusal(deps: { clients: Pick<ClientService, 'tokenRefusal'>; rules: Pick<SignInRuleService, 'tokenRefusal'> }) {
  return (subject: string, claims: Readonly<Record<string, unknown>>): string | undefined | Promise<string | undefined> =>
    subject.startsWith(PERSON_SUBJECT_PREFIX) ? deps.rules.tokenRefusal(claims.rls) : deps.clients.tokenRefusal(subject, claims.sst);
}
