/**
 * What the audit chain's per-fleet serialisation allows on this PostgreSQL server, without the app:
 * from 10 clients on ONE chain, each transaction inserts a row, takes the chain head (row lock) and
 * then writes the event, as POST does; compared, in the same run, with the raw loop's shape (one
 * autocommitted INSERT per row, no lock). Variants of the part under the lock:
 *   three: event INSERT, head UPDATE, COMMIT (before group commit: 3 round trips under the lock)
 *   two:   one WITH statement (event + head), COMMIT (now: 2 round trips)
 *   one:   the WITH statement and COMMIT sent as one simple-protocol message (1 round trip; needs the
 *          transaction's owner, src/db/store.ts, to send the last statement with COMMIT)
 *
 *   TEST_DATABASE_URL=postgres://… npx tsx bench/pg-chain-bound.ts [seconds=3]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set TEST_DATABASE_URL');
const seconds = Number(process.argv[2] ?? 3);
const clients = 10;
const schema = `fv_chain_${randomBytes(6).toString('hex')}`;

const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
await admin.query(`SET search_path = ${schema}`);
await admin.query(`CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL);
  CREATE TABLE events (id TEXT PRIMARY KEY, chain TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL);
  CREATE UNIQUE INDEX events_chain_seq ON events (chain, seq);
  CREATE TABLE heads (chain TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);`);

type Variant = 'raw' | 'three' | 'two' | 'one';
async function run(variant: Variant): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: clients, options: `-c search_path=${schema}` });
  let ops = 0;
  const deadline = Date.now() + seconds * 1000;
  const worker = async () => {
    const c = await pool.connect();
    try {
      while (Date.now() < deadline) {
        const id = randomBytes(12).toString('hex');
        if (variant === 'raw') {
          await c.query('INSERT INTO rows (id, body) VALUES ($1, $2)', [id, 'x'.repeat(200)]);
        } else {
          await c.query('BEGIN');
          await c.query('INSERT INTO rows (id, body) VALUES ($1, $2)', [id, 'x'.repeat(200)]);
          const head = await c.query<{ seq: number; hash: string }>(
            `INSERT INTO heads (chain, seq, hash) VALUES ('c', 1, 'genesis')
             ON CONFLICT (chain) DO UPDATE SET seq = heads.seq + 1 RETURNING seq, hash`,
          );
          const { seq, hash: prev } = head.rows[0]!;
          const hash = `${prev.slice(0, 8)}-${seq}`; // stands for the HMAC over the previous hash
          if (variant === 'three') {
            await c.query('INSERT INTO events (id, chain, seq, hash) VALUES ($1, $2, $3, $4)', [id, 'c', seq, hash]);
            await c.query(`UPDATE heads SET hash = $1 WHERE chain = 'c'`, [hash]);
            await c.query('COMMIT');
          } else if (variant === 'two') {
            await c.query(
              `WITH e AS (INSERT INTO events (id, chain, seq, hash) VALUES ($1, 'c', $2, $3)) UPDATE heads SET hash = $3 WHERE chain = 'c'`,
              [id, seq, hash],
            );
            await c.query('COMMIT');
          } else {
            const lit = (v: string | number) => c.escapeLiteral(String(v));
            await c.query(
              `WITH e AS (INSERT INTO events (id, chain, seq, hash) VALUES (${lit(id)}, 'c', ${lit(seq)}, ${lit(hash)}))
               UPDATE heads SET hash = ${lit(hash)} WHERE chain = 'c'; COMMIT`,
            );
          }
        }
        ops++;
      }
    } finally {
      c.release();
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  await pool.end();
  return ops / seconds;
}

try {
  for (let round = 0; round < 3; round++) {
    const raw = await run('raw');
    const line = [`raw ${raw.toFixed(0)} ops/s`];
    for (const variant of ['three', 'two', 'one'] as const) {
      const rate = await run(variant);
      line.push(`${variant} ${rate.toFixed(0)} (${(rate / raw).toFixed(2)} × raw)`);
    }
    console.log(line.join(' | '));
  }
} finally {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
