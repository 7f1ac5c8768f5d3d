import type { Kysely, Selectable } from 'kysely';
import type { DB, PeopleTable } from '../db/schema.js';

export type PersonRow = Selectable<PeopleTable>;

/** A person as a fleet sees them: the person and their sign-ins to this fleet. */
export type FleetPersonRow = PersonRow & { fleet_first_signed_in_at: string; fleet_last_signed_in_at: string };

export type PersonListKey = readonly [id: string];
export const PERSON_LIST_KEY = ['string'] as const;

/** SQL of the people (docs/design.md §2.11): one row per issuer and subject, and the fleets each signed in to. */
export function createPeopleRepo(db: Kysely<DB>) {
  return {
    async findBySubject(issuer: string, subject: string): Promise<PersonRow | undefined> {
      return db.selectFrom('people').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
    },

    /**
     * Records a sign-in: inserts the person or refreshes their email, name and last sign-in, and links them to
     * the fleet. Returns the person's id (the existing one when issuer and subject are known).
     */
    async recordSignIn(candidate: PersonRow, fleetId: string): Promise<string> {
      const at = candidate.last_signed_in_at;
      await db
        .insertInto('people')
        .values(candidate)
        .onConflict((oc) =>
          oc.columns(['issuer', 'subject']).doUpdateSet({ email: candidate.email, name: candidate.name, last_signed_in_at: at }),
        )
        .execute();
      const { id } = await db
        .selectFrom('people')
        .select('id')
        .where('issuer', '=', candidate.issuer)
        .where('subject', '=', candidate.subject)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('fleet_people')
        .values({ fleet_id: fleetId, person_id: id, first_signed_in_at: at, last_signed_in_at: at })
        .onConflict((oc) => oc.columns(['fleet_id', 'person_id']).doUpdateSet({ last_signed_in_at: at }))
        .execute();
      return id;
    },

    /** The people who signed in to the fleet, after `afterId`, by id. */
    async listInFleet(fleetId: string, limit: number, afterId: string | undefined): Promise<FleetPersonRow[]> {
      let query = db
        .selectFrom('fleet_people')
        .innerJoin('people', 'people.id', 'fleet_people.person_id')
        .selectAll('people')
        .select([
          'fleet_people.first_signed_in_at as fleet_first_signed_in_at',
          'fleet_people.last_signed_in_at as fleet_last_signed_in_at',
        ])
        .where('fleet_people.fleet_id', '=', fleetId);
      if (afterId !== undefined) query = query.where('people.id', '>', afterId);
      return query.orderBy('people.id').limit(limit).execute();
    },
  };
}

export type PeopleRepo = ReturnType<typeof createPeopleRepo>;
