import { sql } from 'kysely';
import type { TestApp } from './test-app.js';

/**
 * Makes every audit insert fail (a trigger), as a full disk or a broken constraint would, so a
 * test can prove that no change happens without its event. `on` removes the trigger again.
 */
export const auditSwitch = {
  async off(t: TestApp): Promise<void> {
    const { db } = t.deps.database;
    if (t.storage.engine === 'sqlite') {
      await sql`CREATE TRIGGER audit_switched_off BEFORE INSERT ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit switched off by a test'); END`.execute(db);
    } else {
      await sql
        .raw(
          `CREATE OR REPLACE FUNCTION audit_switched_off() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit switched off by a test'; END $$`,
        )
        .execute(db);
      await sql`CREATE TRIGGER audit_switched_off BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_switched_off()`.execute(
        db,
      );
    }
  },
  async on(t: TestApp): Promise<void> {
    const { db } = t.deps.database;
    if (t.storage.engine === 'sqlite') await sql`DROP TRIGGER audit_switched_off`.execute(db);
    else await sql`DROP TRIGGER audit_switched_off ON audit_events`.execute(db);
  },
};

/** The fleet's audit rows as stored, oldest first. */
export async function auditRows(t: TestApp, chain: string) {
  return t.deps.database.db.selectFrom('audit_events').selectAll().where('chain', '=', chain).orderBy('seq').execute();
}
