import pg from 'pg';
import { randomKey, seal, sodiumReady } from '../src/crypto/aead.js';
import { ulidGenerator } from '../src/core/clock.js';
import type { RawInsertResult } from './raw-insert.js';

/**
 * The floor under a durable POST create on PostgreSQL: seal the secrets as the app does and
 * insert the row into the app's own credentials table (same indexes, same server, the schema the
 * runner created), one autocommitted INSERT per row (synchronous_commit as the server is set),
 * from `connections` clients in parallel as the app's pool would. Under a fleet of its own, so
 * the app's fleets never see these rows. No HTTP, no validation, no query builder, no lock, no
 * audit event.
 */
export async function rawPgInsertLoop(url: string, schema: string, seconds: number, connections: number): Promise<RawInsertResult> {
  await sodiumReady();
  const pool = new pg.Pool({ connectionString: url, max: connections, options: `-c search_path=${schema}` });
  try {
    const ids = ulidGenerator();
    const fleetId = ids.next();
    await pool.query('INSERT INTO fleets (id, name, created_at) VALUES ($1, $2, $3)', [
      fleetId,
      `raw loop ${fleetId}`,
      new Date().toISOString(),
    ]);
    const dek = randomKey();
    let ops = 0;
    const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (process.hrtime.bigint() < deadline) {
        const id = ids.next();
        const now = new Date().toISOString();
        const n = ops;
        const name = `Raw loop ${id}`;
        const secrets = Buffer.from(JSON.stringify({ client_secret: `secret-${n}-${now}` }), 'utf8');
        await pool.query(
          `INSERT INTO credentials (id, fleet_id, brand, name, name_key, name_missing, fields, sealed_secrets,
             secret_version, created_at, updated_at, secret_updated_at)
           VALUES ($1, $2, 'niu', $3, $4, 0, $5, $6, 1, $7, $7, $7)`,
          [
            id,
            fleetId,
            name,
            name.toLowerCase(),
            JSON.stringify({ client_id: `client-${n}` }),
            seal(secrets, dek, `fleetvault:credential-secrets:v1:${fleetId}:${id}:1`),
            now,
          ],
        );
        ops++;
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    return { ops, seconds: elapsed, opsPerSecond: ops / elapsed };
  } finally {
    await pool.end();
  }
}
