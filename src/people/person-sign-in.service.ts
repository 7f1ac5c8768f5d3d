import type { AuditTrail } from '../audit/audit.service.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import { PERSON_SUBJECT_PREFIX } from '../core/context.js';
import { restrictionClaim } from '../core/grant.js';
import { pageOf } from '../core/pagination.js';
import type { Store } from '../db/store.js';
import type { AuditRepos } from '../audit/audit.service.js';
import type { PeopleRepo } from './people.repo.js';
import type { FleetPersonRow, PersonListKey } from './people.repo.js';
import { grantOfRules, type PersonGrant, type SignInRule } from './rule-matching.js';
import type { SignInRuleService } from './sign-in-rules.service.js';

/** Who the identity provider says signed in: its issuer and subject, and the ID token's claims (already verified). */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  email?: string | undefined;
  name?: string | undefined;
  claims: Readonly<Record<string, unknown>>;
}

/** A sign-in that cannot end in a token; `reason` is a closed set (a metrics label, a log field). */
export class SignInRefused extends Error {
  constructor(
    readonly reason: 'no-matching-rule' | 'fleet-not-matched',
    message: string,
  ) {
    super(message);
  }
}

export interface PersonView {
  id: string;
  email: string | null;
  name: string | null;
  issuer: string;
  subject: string;
  first_signed_in_at: string;
  last_signed_in_at: string;
}

export interface PersonToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  person: { id: string; label: string; email: string | null; name: string | null };
  fleet_id: string;
}

const MAX_TEXT = 256;
const clip = (value: string | undefined) => (value === undefined || value === '' ? null : value.slice(0, MAX_TEXT));

/**
 * A person's sign-in (docs/design.md §2.11), after the relying party has verified the ID token: which fleets
 * their rules match, and the vault's own access token for one of them (`sub = person:<id>`, the rules' scopes,
 * restriction and ids). The person row, the fleet link and `person.signed_in` commit together before the token
 * leaves. No token of the identity provider reaches this service.
 */
export function createPersonSignIn(deps: {
  store: Store<{ people: PeopleRepo } & AuditRepos>;
  audit: AuditTrail;
  clock: Clock;
  ids: IdGenerator;
  rules: Pick<SignInRuleService, 'matching'>;
  sign: (claims: Record<string, unknown>) => Promise<string>;
  issuer: string;
  ttlSeconds: number;
}) {
  const { store, audit, clock, ids, rules, sign, issuer, ttlSeconds } = deps;

  /** Each fleet the person's rules match, with what they grant there (fleets whose restrictions share nothing drop out). */
  async function grants(identity: VerifiedIdentity): Promise<Map<string, PersonGrant>> {
    const byFleet = new Map<string, SignInRule[]>();
    for (const rule of await rules.matching(identity.claims)) byFleet.set(rule.fleetId, [...(byFleet.get(rule.fleetId) ?? []), rule]);
    const result = new Map<string, PersonGrant>();
    for (const [fleetId, fleetRules] of byFleet) {
      const grant = grantOfRules(fleetRules);
      if (grant !== undefined) result.set(fleetId, grant);
    }
    return result;
  }

  const toView = (row: FleetPersonRow): PersonView => ({
    id: row.id,
    email: row.email,
    name: row.name,
    issuer: row.issuer,
    subject: row.subject,
    first_signed_in_at: row.fleet_first_signed_in_at,
    last_signed_in_at: row.fleet_last_signed_in_at,
  });

  return {
    /** The fleets the person may sign in to (the console asks which when there are several). */
    async fleets(identity: VerifiedIdentity): Promise<string[]> {
      return [...(await grants(identity)).keys()].sort();
    },

    /**
     * The person's access token for `fleetId` (or their only fleet). Refused (SignInRefused) when no rule
     * matches, or when `fleetId` is not one of theirs.
     */
    async signIn(identity: VerifiedIdentity, fleetId: string | undefined, requestId: string | null): Promise<PersonToken> {
      const matched = await grants(identity);
      if (matched.size === 0) throw new SignInRefused('no-matching-rule', 'No sign-in rule of any fleet matches this person.');
      const fleet = fleetId ?? (matched.size === 1 ? [...matched.keys()][0]! : undefined);
      const grant = fleet === undefined ? undefined : matched.get(fleet);
      if (fleet === undefined || grant === undefined) {
        throw new SignInRefused('fleet-not-matched', 'No sign-in rule of this fleet matches this person.');
      }
      const now = clock.now();
      const email = clip(identity.email);
      const name = clip(identity.name);
      const label = email ?? name ?? identity.subject.slice(0, MAX_TEXT);
      const scope = grant.scopes.join(' ');
      const personId = await store.transaction(async (repos) => {
        const at = now.toISOString();
        const id = await repos.people.recordSignIn(
          {
            id: ids.next(),
            issuer: identity.issuer,
            subject: identity.subject,
            email,
            name,
            first_signed_in_at: at,
            last_signed_in_at: at,
          },
          fleet,
        );
        await audit.append(repos, {
          fleetId: fleet,
          actor: { type: 'person', id, label },
          action: 'person.signed_in',
          target: { type: 'person', id },
          requestId,
          details: { rule_ids: grant.ruleIds, scope, expires_in: ttlSeconds },
        });
        return id;
      });
      const iat = Math.floor(now.getTime() / 1000);
      const access_token = await sign({
        iss: issuer,
        aud: issuer,
        sub: `${PERSON_SUBJECT_PREFIX}${personId}`,
        fleet,
        scope,
        iat,
        exp: iat + ttlSeconds,
        jti: ids.next(),
        // The rules it was issued for: deleting one revokes the token (src/people/sign-in-rules.service.ts).
        rls: grant.ruleIds,
        // The audit label of everything the person does with it.
        lbl: label,
        ...(grant.restriction !== undefined && { rst: restrictionClaim(grant.restriction) }),
      });
      return {
        access_token,
        token_type: 'Bearer',
        expires_in: ttlSeconds,
        scope,
        person: { id: personId, label, email, name },
        fleet_id: fleet,
      };
    },

    async list(fleetId: string, query: { limit: number; after?: PersonListKey | undefined }) {
      const rows = await store.repos.people.listInFleet(fleetId, query.limit + 1, query.after?.[0]);
      return pageOf(rows, query.limit, toView, (row) => [row.id]);
    },
  };
}

export type PersonSignIn = ReturnType<typeof createPersonSignIn>;
