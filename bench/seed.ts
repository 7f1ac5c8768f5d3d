import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { listSelect } from '../src/credentials/credential-list.query.js';
import { nameKey } from '../src/credentials/credentials.schemas.js';
import type { CredentialsTable, DB } from '../src/db/schema.js';
import { ulidGenerator } from '../src/core/clock.js';
import { encodeCursor } from '../src/core/pagination.js';

const cities = [
  'Amsterdam',
  'Antwerp',
  'Athens',
  'Barcelona',
  'Berlin',
  'Bologna',
  'Bordeaux',
  'Bremen',
  'Brussels',
  'Budapest',
  'Cologne',
  'Copenhagen',
  'Dortmund',
  'Dresden',
  'Dublin',
  'Düsseldorf',
  'Frankfurt',
  'Gdańsk',
  'Geneva',
  'Hamburg',
  'Hanover',
  'Helsinki',
  'Kraków',
  'Leipzig',
  'Lisbon',
  'Lyon',
  'Madrid',
  'Malmö',
  'Marseille',
  'Milan',
  'Munich',
  'Nantes',
  'Oslo',
  'Paris',
  'Porto',
  'Prague',
  'Rome',
  'Rotterdam',
  'Seville',
  'Stockholm',
  'Stuttgart',
  'Turin',
  'Utrecht',
  'Valencia',
  'Vienna',
  'Warsaw',
  'Wrocław',
  'Zürich',
];
const kinds = [
  'e-scooters',
  'mopeds',
  'e-bikes',
  'cargo bikes',
  'car sharing',
  'vans',
  'depot',
  'workshop',
  'airport',
  'city centre',
  'north',
  'south',
  'east',
  'west',
  'harbour',
  'campus',
];

/** A term present in 1/16 of the seeded names, spread over the whole sort order. */
export const COMMON_TERM = 'depot';

/** Cheap integer mix, so a row's name does not follow its id order. */
function mix(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Realistic, unique names ("Kraków cargo bikes 48213"); one row in 20 unnamed (sorted last). */
export function seededName(i: number): string | null {
  const h = mix(i);
  if (h % 20 === 7) return null;
  return `${cities[(h >>> 5) % cities.length]} ${kinds[(h >>> 11) % kinds.length]} ${i}`;
}

/**
 * Adds `count` credentials to a fleet of a SQLite file, directly and in big transactions:
 * every row reuses the sealed blob of a template credential created through the API (list
 * pages never decrypt), with its own id, name and client_id. Runs on its own connection
 * with synchronous=OFF: seeding is set-up, not the measured path.
 */
export function seedSqlite(file: string, fleetId: string, templateId: string, count: number): { seconds: number } {
  const started = performance.now();
  const db = new SQLite(file);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const template = db.prepare('SELECT * FROM credentials WHERE id = ?').get(templateId) as CredentialsTable | undefined;
    if (template === undefined) throw new Error(`seed: template credential ${templateId} not found`);
    const insert = db.prepare(
      `INSERT INTO credentials (id, fleet_id, brand, name, name_key, name_missing, fields, sealed_secrets,
         data_key_id, secret_version, created_at, updated_at, secret_updated_at)
       VALUES (?, ?, 'niu', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    );
    const ids = ulidGenerator();
    const now = new Date().toISOString();
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const name = seededName(i);
        insert.run(
          ids.next(),
          fleetId,
          name,
          name === null ? '' : nameKey(name),
          name === null ? 1 : 0,
          JSON.stringify({ client_id: `client-${i}` }),
          template.sealed_secrets,
          template.data_key_id,
          now,
          now,
          now,
        );
      }
    });
    const BATCH_ROWS = 50_000;
    for (let from = 0; from < count; from += BATCH_ROWS) batch(from, Math.min(count, from + BATCH_ROWS));
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { seconds: (performance.now() - started) / 1000 };
}

/** The cursor the API would hand out after the `offset`-th credential of the fleet's niu list, and its sort key. */
export function sqliteCursorAt(file: string, fleetId: string, offset: number): { cursor: string; key: [number, string, string] } {
  const db = new SQLite(file, { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT name_missing, name_key, id FROM credentials WHERE fleet_id = ? AND brand = 'niu'
         ORDER BY name_missing, name_key, id LIMIT 1 OFFSET ?`,
      )
      .get(fleetId, offset) as { name_missing: number; name_key: string; id: string } | undefined;
    if (row === undefined) throw new Error(`seed: fleet ${fleetId} has fewer than ${offset + 1} credentials`);
    const key: [number, string, string] = [row.name_missing, row.name_key, row.id];
    return { cursor: encodeCursor(key), key };
  } finally {
    db.close();
  }
}

// The app's own statement for a cursor page of one brand (credential-list.query.ts), so the timing follows the app.
const LIST_PAGE_SQL = listSelect(
  new Kysely<DB>({ dialect: new SqliteDialect({ database: async () => new SQLite(':memory:') }) }),
  'sqlite',
  {
    fleetId: '?',
    brand: 'niu',
    after: [0, '', ''],
    limit: 51,
  },
).compile().sql;

/**
 * The list page's SQL alone, timed in this process on its own connection (no HTTP, no other
 * requests): median and p99 over `runs`, in microseconds. Starts after the given sort key
 * (the first page starts after [-1, '', '']).
 */
export function sqliteTimeListQuery(file: string, fleetId: string, after: readonly [number, string, string], runs = 2000) {
  const db = new SQLite(file, { readonly: true });
  try {
    const statement = db.prepare(LIST_PAGE_SQL);
    for (let i = 0; i < 100; i++) statement.all(fleetId, 'niu', ...after, 51);
    const times = new Float64Array(runs);
    for (let i = 0; i < runs; i++) {
      const t = process.hrtime.bigint();
      const rows = statement.all(fleetId, 'niu', ...after, 51);
      times[i] = Number(process.hrtime.bigint() - t) / 1000;
      if (rows.length !== 51) throw new Error(`list query returned ${rows.length} rows, expected 51`);
    }
    times.sort();
    return { medianUs: times[Math.floor(runs / 2)]!, p99Us: times[Math.floor(runs * 0.99)]! };
  } finally {
    db.close();
  }
}

/** The query plan SQLite picks for a list page (to show index use in the report). */
export function sqliteListPlan(file: string, fleetId: string): string[] {
  const db = new SQLite(file, { readonly: true });
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${LIST_PAGE_SQL}`).all(fleetId, 'niu', 0, 'm', '', 51) as { detail: string }[];
    return rows.map((r) => r.detail);
  } finally {
    db.close();
  }
}
