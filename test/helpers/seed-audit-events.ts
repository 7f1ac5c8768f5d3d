import SQLite from 'better-sqlite3';
import { type AuditEvent, eventHash, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { loadOrCreateVaultKey } from '../../src/crypto/vault-keys.js';
import type { Deps } from '../../src/deps.js';

/**
 * Appends `count` authentic events to a fleet's audit chain of a CLOSED SQLite test app, straight into the tables (as
 * bench/backup.ts does): a vault big enough that a restore takes seconds, without seconds of requests to build it.
 * Call `auditKeyOf` while the app is open, then close it with `keepData` and seed.
 */
export async function auditKeyOf({ deps }: { deps: Deps }): Promise<Buffer> {
  const key = await loadOrCreateVaultKey(
    { vaultKeys: deps.store.repos.vaultKeys, keyring: deps.keyring, clock: deps.clock, ids: deps.ids },
    'audit-hmac',
    () => {
      throw new Error('the audit key should exist');
    },
  );
  return key.material;
}

export function seedAuditEvents(file: string, fleetId: string, auditKey: Buffer, count: number): void {
  const db = new SQLite(file);
  try {
    const insert = db.prepare(`INSERT INTO audit_events (id, chain, fleet_id, seq, at, actor_type, actor_id, action, target_type,
      target_id, target_brand, request_id, outcome, details, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, 'client', ?, 'credential.rotated', 'credential', ?, 'niu', ?, 'success', ?, ?, ?)`);
    db.transaction(() => {
      const last = db.prepare('SELECT seq, hash FROM audit_heads WHERE chain = ?').get(fleetId) as
        { seq: number; hash: string } | undefined;
      let prev = last?.hash ?? GENESIS_HASH;
      const first = (last?.seq ?? 0) + 1;
      let event: Omit<AuditEvent, 'hash'> | undefined;
      for (let seq = first; seq < first + count; seq++) {
        event = {
          id: `01JSEED${String(seq).padStart(19, '0')}`,
          fleet_id: fleetId,
          seq,
          at: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
          actor: { type: 'client', id: '01JSEEDCLIENT0000000000000' },
          action: 'credential.rotated',
          target: { type: 'credential', id: `01JSEEDCRED${String(seq % 100).padStart(15, '0')}`, brand: 'niu' },
          request_id: `req-${seq}`,
          outcome: 'success',
          details: { secret_version: 2, fields: ['client_secret'] },
          prev_hash: prev,
        };
        const hash = eventHash(auditKey, event);
        insert.run(
          event.id,
          fleetId,
          fleetId,
          seq,
          event.at,
          event.actor.id,
          event.target.id,
          event.request_id,
          JSON.stringify(event.details),
          prev,
          hash,
        );
        prev = hash;
      }
      if (event !== undefined) {
        db.prepare(
          `INSERT INTO audit_heads (chain, seq, hash, at) VALUES (?, ?, ?, ?)
            ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`,
        ).run(fleetId, event.seq, prev, event.at);
      }
    })();
  } finally {
    db.close();
  }
}
