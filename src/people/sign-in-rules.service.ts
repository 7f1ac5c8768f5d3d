import { z } from 'zod';
import type { AuditTrail } from '../audit/audit.service.js';
import { createClientLiveness } from '../clients/client-liveness.js';
import { parseRestriction } from '../clients/client-restriction.js';
import { AppError, notFound } from '../core/app-error.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { ActorContext } from '../core/context.js';
import { parseStoredRestriction, restrictionView, storedRestriction } from '../core/grant.js';
import { pageOf } from '../core/pagination.js';
import { allScopes, defaultScopes, type Scope, scopeSchema } from '../core/scopes.js';
import { parseOrThrow } from '../core/validation.js';
import type { Store } from '../db/store.js';
import type { AuditRepos } from '../audit/audit.service.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import type { SignInRuleRepo } from './sign-in-rules.repo.js';
import { ruleMatches, type SignInRule } from './rule-matching.js';
import type { SignInRuleListKey, SignInRuleRow } from './sign-in-rules.repo.js';

/** An ID token claim's name (OIDC Core §5.1 names, or the identity provider's own: `groups`, `roles`, `hd`). */
export const claimNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:/-]+$/, 'must be a claim name (letters, digits, _ . : / -)');
export const claimValueSchema = z.string().min(1).max(256);

/** What the API shows of a rule. */
export interface SignInRuleView {
  id: string;
  fleet_id: string;
  claim: string;
  equals: string;
  scopes: Scope[];
  restrict: { brands?: string[]; credential_ids?: string[] } | null;
  created_at: string;
}

export interface SignInRuleInput {
  claim: string;
  equals: string;
  scopes?: readonly string[] | undefined;
  restrict?: unknown;
}

const scopesOf = (row: SignInRuleRow): Scope[] =>
  row.scopes.split(' ').filter((s): s is Scope => (allScopes as readonly string[]).includes(s));

export function toSignInRule(row: SignInRuleRow): SignInRule {
  return {
    id: row.id,
    fleetId: row.fleet_id,
    claim: row.claim,
    equals: row.equals,
    scopes: scopesOf(row),
    restriction: parseStoredRestriction(row.restriction),
  };
}

/**
 * Sign-in rules (docs/design.md §2.11): create, list and delete, each change audited in its own transaction;
 * and the revocation check of person tokens, which name the rules they were issued for (`rls`): a deleted
 * rule's tokens are refused within the liveness TTL on every replica, as a deleted client's (§2.3).
 */
export function createSignInRuleService(deps: {
  store: Store<{ fleets: Pick<FleetRepo, 'exists'>; signInRules: SignInRuleRepo } & AuditRepos>;
  audit: AuditTrail;
  clock: Clock;
  ids: IdGenerator;
  livenessTtlMs?: number;
}) {
  const { store, audit, clock, ids } = deps;
  const repo = store.repos.signInRules;
  const liveness = createClientLiveness({
    clock,
    find: async (id) => ((await repo.findLive(id)) === undefined ? undefined : { secretStamp: null }),
    ...(deps.livenessTtlMs !== undefined && { ttlMs: deps.livenessTtlMs }),
  });

  const toView = (row: SignInRuleRow): SignInRuleView => {
    const restriction = parseStoredRestriction(row.restriction);
    return {
      id: row.id,
      fleet_id: row.fleet_id,
      claim: row.claim,
      equals: row.equals,
      scopes: scopesOf(row),
      restrict: restriction === undefined ? null : restrictionView(restriction),
      created_at: row.created_at,
    };
  };

  /** As for clients (src/clients/clients.service.ts): no one hands out or takes away scopes they do not hold. */
  function assertGranterHolds(granter: readonly Scope[] | undefined, scopes: readonly Scope[], action: string) {
    const notHeld = granter === undefined ? [] : scopes.filter((s) => !granter.includes(s));
    if (notHeld.length > 0) {
      throw new AppError(
        'insufficient-scope',
        `A caller cannot ${action} a sign-in rule granting scopes it does not hold: ${notHeld.join(' ')}.`,
        {
          not_held: notHeld,
        },
      );
    }
  }

  const ruleEvent = (context: ActorContext, id: string) => ({
    fleetId: context.fleetId,
    actor: context.actor,
    target: { type: 'sign_in_rule', id },
    requestId: context.requestId,
    clientRequestId: context.clientRequestId,
  });

  return {
    /**
     * A rule of the caller's fleet. Without `scopes` it grants read only: revealing, exchanging and managing
     * clients are granted only by name (least privilege, as for clients). `granter`: the caller's scopes.
     */
    async create(context: ActorContext, input: SignInRuleInput, granter?: readonly Scope[]): Promise<SignInRuleView> {
      const claim = parseOrThrow(claimNameSchema, input.claim, '/claim');
      const equals = parseOrThrow(claimValueSchema, input.equals, '/equals');
      const scopes = parseOrThrow(z.array(scopeSchema).min(1), [...new Set(input.scopes ?? defaultScopes)], '/scopes');
      const restriction = parseRestriction(input.restrict, scopes);
      assertGranterHolds(granter, scopes, 'create');
      if (!(await store.repos.fleets.exists(context.fleetId))) throw notFound('Fleet');
      const row: SignInRuleRow = {
        id: ids.next(),
        fleet_id: context.fleetId,
        claim,
        equals,
        scopes: scopes.join(' '),
        restriction: storedRestriction(restriction),
        created_at: clock.now().toISOString(),
        deleted_at: null,
      };
      const view = toView(row);
      await store.transaction(
        async (repos) => {
          await repos.signInRules.insert(row);
          await audit.append(repos, {
            ...ruleEvent(context, row.id),
            action: 'sign_in_rule.created',
            details: { claim, equals, scopes, ...(view.restrict !== null && { restrict: view.restrict }) },
          });
        },
        { fleetId: context.fleetId },
      );
      return view;
    },

    async list(fleetId: string, query: { limit: number; after?: SignInRuleListKey | undefined }) {
      const rows = await repo.listLive(fleetId, query.limit + 1, query.after?.[0]);
      return pageOf(rows, query.limit, toView, (row) => [row.id]);
    },

    /** Deletes a rule: the tokens issued for it are refused within the liveness TTL on every replica. */
    async delete(context: ActorContext, id: string, granter?: readonly Scope[]): Promise<void> {
      const row = await repo.findInFleet(context.fleetId, id.toUpperCase());
      if (row === undefined) throw notFound('Sign-in rule');
      assertGranterHolds(granter, scopesOf(row), 'delete');
      await store.transaction(
        async (repos) => {
          if (!(await repos.signInRules.softDelete(context.fleetId, row.id, clock.now().toISOString()))) throw notFound('Sign-in rule');
          await audit.append(repos, { ...ruleEvent(context, row.id), action: 'sign_in_rule.deleted', details: {} });
        },
        { fleetId: context.fleetId },
      );
      liveness.forget(row.id);
    },

    /** The live rules, of every fleet, that an ID token's claims match. */
    async matching(claims: Readonly<Record<string, unknown>>): Promise<SignInRule[]> {
      const rows = await repo.liveOnClaims(Object.keys(claims).filter((name) => claimNameSchema.safeParse(name).success));
      return rows.map(toSignInRule).filter((rule) => ruleMatches(rule, claims));
    },

    /** Why a person token naming rules `ruleIds` (its `rls` claim) is refused, or undefined when every rule is live. */
    async tokenRefusal(ruleIds: unknown): Promise<string | undefined> {
      if (!Array.isArray(ruleIds) || ruleIds.length === 0 || ruleIds.length > 100 || !ruleIds.every((id) => typeof id === 'string')) {
        return 'The access token is not valid.';
      }
      for (const id of ruleIds as string[]) {
        if (!(await liveness.isLive(id))) return 'The access token\u2019s sign-in rule has been deleted.';
      }
      return undefined;
    },
  };
}

export type SignInRuleService = ReturnType<typeof createSignInRuleService>;
