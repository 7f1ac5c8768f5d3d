import { cliContext } from '../core/context.js';
import type { SignInRuleService } from './sign-in-rules.service.js';

export const signInRuleUsage = `  sign-in-rule create --fleet <fleet id> --claim <claim> --equals <value> [--scopes a,b]
                    [--restrict-brands a,b] [--restrict-credentials id,id] [--json]   people whose ID token claim
                              equals (or, for a list such as groups, holds) the value may sign in (docs/people.md)`;

export class SignInRuleUsageError extends Error {}

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** `fleetvault sign-in-rule create` (docs/design.md §2.11): the operator's way to let the first people in. */
export async function runSignInRuleCommand(
  rules: SignInRuleService,
  sub: string | undefined,
  values: Partial<Record<'fleet' | 'claim' | 'equals' | 'scopes' | 'restrict-brands' | 'restrict-credentials', string>> & {
    json?: boolean;
  },
  out: { write(text: string): unknown },
): Promise<void> {
  if (sub !== 'create') throw new SignInRuleUsageError(signInRuleUsage);
  const { fleet, claim, equals } = values;
  if (fleet === undefined || claim === undefined || equals === undefined) {
    throw new SignInRuleUsageError('sign-in-rule create needs --fleet, --claim and --equals');
  }
  const brands = list(values['restrict-brands']);
  const credentialIds = list(values['restrict-credentials']);
  const restrict =
    brands === undefined && credentialIds === undefined
      ? undefined
      : { ...(brands !== undefined && { brands }), ...(credentialIds !== undefined && { credential_ids: credentialIds }) };
  const view = await rules.create(cliContext(fleet), { claim, equals, scopes: list(values.scopes), restrict });
  out.write(
    values.json === true
      ? JSON.stringify(view) + '\n'
      : `created sign-in rule ${view.id} in fleet ${view.fleet_id}\n${view.claim} = ${view.equals} → scopes: ${view.scopes.join(' ')}` +
          (view.restrict === null ? '' : `\nrestricted to: ${JSON.stringify(view.restrict)}`) +
          '\n',
  );
}
