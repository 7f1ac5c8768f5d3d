import type { Kysely, Selectable } from 'kysely';
import type { DB, DeviceAuthorizationsTable, SignInCodesTable, SignInStatesTable } from '../db/schema.js';

export type SignInStateRow = Selectable<SignInStatesTable>;
export type SignInCodeRow = Selectable<SignInCodesTable>;
export type DeviceAuthorizationRow = Selectable<DeviceAuthorizationsTable>;

/**
 * SQL of the short-lived sign-in rows (migration 0014, docs/sign-in.md). Every secret is looked up by its hash, and
 * every single-use value is consumed by one `DELETE … RETURNING`: two replicas redeeming the same value cannot both
 * get the row. Rows past their expiry are pruned on the way (they would be refused anyway).
 */
export function createSignInFlowRepo(db: Kysely<DB>) {
  async function prune(now: Date) {
    const at = now.toISOString();
    await db.deleteFrom('sign_in_states').where('expires_at', '<', at).execute();
    await db.deleteFrom('sign_in_codes').where('expires_at', '<', at).execute();
    await db.deleteFrom('device_authorizations').where('expires_at', '<', at).execute();
  }

  return {
    async insertState(row: SignInStateRow, now: Date): Promise<void> {
      await prune(now);
      await db.insertInto('sign_in_states').values(row).execute();
    },

    /** The state, deleted as it is read: a second callback with it finds nothing (single use). */
    async takeState(stateHash: string): Promise<SignInStateRow | undefined> {
      return db.deleteFrom('sign_in_states').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
    },

    async insertCode(row: SignInCodeRow): Promise<void> {
      await db.insertInto('sign_in_codes').values(row).execute();
    },

    /** A code, left in place (the fleet picker asks again with the same code; docs/sign-in.md). */
    async findCode(codeHash: string): Promise<SignInCodeRow | undefined> {
      return db.selectFrom('sign_in_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
    },

    /** Consumes a code; false when another request consumed it first. */
    async takeCode(codeHash: string): Promise<boolean> {
      const row = await db.deleteFrom('sign_in_codes').where('code_hash', '=', codeHash).returning('code_hash').executeTakeFirst();
      return row !== undefined;
    },

    async insertDevice(row: DeviceAuthorizationRow, now: Date): Promise<void> {
      await prune(now);
      await db.insertInto('device_authorizations').values(row).execute();
    },

    async findDeviceByUserCode(userCode: string): Promise<DeviceAuthorizationRow | undefined> {
      return db.selectFrom('device_authorizations').selectAll().where('user_code', '=', userCode).executeTakeFirst();
    },

    async findDevice(deviceCodeHash: string): Promise<DeviceAuthorizationRow | undefined> {
      return db.selectFrom('device_authorizations').selectAll().where('device_code_hash', '=', deviceCodeHash).executeTakeFirst();
    },

    /** The person signed in at the provider for this user code: awaiting their confirmation (the form's hash). */
    async markDeviceSignedIn(userCode: string, identity: string, confirmHash: string): Promise<boolean> {
      const result = await db
        .updateTable('device_authorizations')
        .set({ status: 'signed_in', identity, confirm_hash: confirmHash })
        .where('user_code', '=', userCode)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** No rule lets the person in: the device's next poll answers access_denied. */
    async denyDevice(userCode: string): Promise<void> {
      await db.updateTable('device_authorizations').set({ status: 'denied' }).where('user_code', '=', userCode).execute();
    },

    /** The person's decision, once: only a signed-in row whose confirmation hash matches moves on. */
    async decideDevice(userCode: string, confirmHash: string, decision: { status: 'approved' | 'denied'; fleetId: string | null }) {
      const result = await db
        .updateTable('device_authorizations')
        .set({ status: decision.status, fleet_id: decision.fleetId, confirm_hash: null })
        .where('user_code', '=', userCode)
        .where('status', '=', 'signed_in')
        .where('confirm_hash', '=', confirmHash)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Records a poll (RFC 8628 §3.5): its time and, after a `slow_down`, the longer interval. */
    async recordPoll(deviceCodeHash: string, at: Date, intervalSeconds: number): Promise<void> {
      await db
        .updateTable('device_authorizations')
        .set({ last_polled_at: at.toISOString(), interval_seconds: intervalSeconds })
        .where('device_code_hash', '=', deviceCodeHash)
        .execute();
    },

    /** Consumes an approved device code; false when another poll consumed it first. */
    async takeApprovedDevice(deviceCodeHash: string): Promise<boolean> {
      const row = await db
        .deleteFrom('device_authorizations')
        .where('device_code_hash', '=', deviceCodeHash)
        .where('status', '=', 'approved')
        .returning('device_code_hash')
        .executeTakeFirst();
      return row !== undefined;
    },

    async deleteDevice(deviceCodeHash: string): Promise<void> {
      await db.deleteFrom('device_authorizations').where('device_code_hash', '=', deviceCodeHash).execute();
    },
  };
}

export type SignInFlowRepo = ReturnType<typeof createSignInFlowRepo>;
