import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { randomKey, seal, sodiumReady } from '../src/crypto/aead.js';
import { readMigrations } from '../src/db/migrate.js';
import { ulidGenerator } from '../src/core/clock.js';

export interface RawInsertResult {
  ops: number;
  seconds: number;
  opsPerSecond: number;
}

/**
 * The schema exactly as the SQLite migrations leave it (every table, column and index, foreign keys
 * included), so the raw loop pays the same index maintenance and reference checks as the app.
 */
function migratedSchemaSql(): string {
  return readMigrations('sqlite')
    .map((migration) => migration.sql)
    .join('\n');
}

/**
 * The floor under a durable POST create: seal the secrets as the app does (XChaCha20-Poly1305
 * under a fleet data key, associated data naming the row) and insert the row with
 * better-sqlite3 directly, one transaction per row, WAL + synchronous=FULL as the app
 * configures SQLite. No HTTP, no validation, no query builder.
 */
export async function rawEncryptInsertLoop(dir: string, seconds: number): Promise<RawInsertResult> {
  await sodiumReady();
  const file = path.join(dir, 'raw-insert.db');
  fs.rmSync(file, { force: true });
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(migratedSchemaSql());
    const ids = ulidGenerator();
    const fleetId = ids.next();
    db.prepare('INSERT INTO fleets (id, name, created_at) VALUES (?, ?, ?)').run(fleetId, 'raw loop', new Date().toISOString());
    const dek = randomKey();
    // The app seals under the fleet's data key and names it in data_key_id (a foreign key, checked per row).
    db.prepare('INSERT INTO fleet_data_keys (id, fleet_id, kek_id, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?)').run(
      fleetId,
      fleetId,
      'raw-loop',
      Buffer.alloc(72),
      new Date().toISOString(),
    );
    const insert = db.prepare(
      `INSERT INTO credentials (id, fleet_id, brand, name, name_key, name_missing, fields, sealed_secrets,
         secret_version, created_at, updated_at, secret_updated_at, data_key_id)
       VALUES (@id, @fleet_id, @brand, @name, @name_key, @name_missing, @fields, @sealed_secrets,
         @secret_version, @created_at, @updated_at, @secret_updated_at, @fleet_id)`,
    );
    const insertOne = db.transaction((row: Record<string, unknown>) => insert.run(row));

    let ops = 0;
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(Math.round(seconds * 1e9));
    for (;;) {
      const id = ids.next();
      const now = new Date().toISOString();
      const name = `Raw loop ${ops}`;
      const secrets = Buffer.from(JSON.stringify({ client_secret: `secret-${ops}-${now}` }), 'utf8');
      insertOne({
        id,
        fleet_id: fleetId,
        brand: 'niu',
        name,
        name_key: name.toLowerCase(),
        name_missing: 0,
        fields: JSON.stringify({ client_id: `client-${ops}` }),
        sealed_secrets: seal(secrets, dek, `fleetvault:credential-secrets:v1:${fleetId}:${id}:1`),
        secret_version: 1,
        created_at: now,
        updated_at: now,
        secret_updated_at: now,
      });
      ops++;
      if ((ops & 7) === 0 && process.hrtime.bigint() >= deadline) break;
    }
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    return { ops, seconds: elapsed, opsPerSecond: ops / elapsed };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
}
