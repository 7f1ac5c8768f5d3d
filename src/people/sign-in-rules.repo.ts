import type { Kysely, Selectable } from 'kysely';
import type { DB, SignInRulesTable } from '../db/schema.js';

export type SignInRuleRow = Selectable<SignInRulesTable>;

/** A list page's keyset: the last rule's id (the list is sorted by id). */
export type SignInRuleListKey = readonly [id: string];

/** The cursor's member types, for the route that decodes it into a {@link SignInRuleListKey}. */
export const SIGN_IN_RULE_LIST_KEY = ['string'] as const;

/** SQL of the sign-in rules (docs/design.md §2.11). */
export function createSignInRuleRepo(db: Kysely<DB>) {
  return {
    async insert(row: SignInRuleRow): Promise<void> {
      await db.insertInto('sign_in_rules').values(row).execute();
    },

    /** A live rule by id, whatever its fleet (a person token names its rules; revocation looks them up). */
    async findLive(id: string): Promise<SignInRuleRow | undefined> {
      return db.selectFrom('sign_in_rules').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    },

    async findInFleet(fleetId: string, id: string): Promise<SignInRuleRow | undefined> {
      return db
        .selectFrom('sign_in_rules')
        .selectAll()
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
    },

    /** Live rules of the fleet after `afterId`, by id (keyset; `limit` rows). */
    async listLive(fleetId: string, limit: number, afterId: string | undefined): Promise<SignInRuleRow[]> {
      let query = db.selectFrom('sign_in_rules').selectAll().where('fleet_id', '=', fleetId).where('deleted_at', 'is', null);
      if (afterId !== undefined) query = query.where('id', '>', afterId);
      return query.orderBy('id').limit(limit).execute();
    },

    /** Every live rule, of any fleet, on one of these claims: the candidates a person's ID token may match. */
    async liveOnClaims(claims: readonly string[]): Promise<SignInRuleRow[]> {
      if (claims.length === 0) return [];
      return db
        .selectFrom('sign_in_rules')
        .selectAll()
        .where('claim', 'in', [...claims])
        .where('deleted_at', 'is', null)
        .orderBy('id')
        .limit(10_000)
        .execute();
    },

    /** Marks the rule deleted; false when it was not a live rule of the fleet. */
    async softDelete(fleetId: string, id: string, deletedAt: string): Promise<boolean> {
      const result = await db
        .updateTable('sign_in_rules')
        .set({ deleted_at: deletedAt })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type SignInRuleRepo = ReturnType<typeof createSignInRuleRepo>;
