import { IntegrityError, open } from '../../src/crypto/aead.js';
import type { MasterKey } from '../../src/crypto/master-keys.js';
import { adminQuery } from './test-database.js';

/**
 * What an attacker with a copy of the database files and some master keys could recover of a purged fleet:
 * raw heap pages read with pageinspect (dead row versions included) and the WAL segments in pg_wal.
 * The associated-data formats are src/crypto/keyring.ts's, restated here as an attacker would read them.
 */
const WRAPPED_KEY_BYTES = 24 + 32 + 16; // XChaCha20 nonce, data key, Poly1305 tag
const dataKeyAad = (fleetId: string) => `fleetvault:dek:v1:${fleetId}`;
const secretsAad = (fleetId: string, credentialId: string, version: number) =>
  `fleetvault:credential-secrets:v1:${fleetId}:${credentialId}:${version}`;

export interface SealedValue {
  credentialId: string;
  version: number;
  sealed: Buffer;
}

export async function ensurePageinspect(url: string): Promise<void> {
  try {
    await adminQuery(url, 'CREATE EXTENSION IF NOT EXISTS pageinspect');
  } catch (error) {
    // Two test files creating it at once: the loser sees the winner's catalogue row.
    if (!['23505', '42710'].includes(String((error as { code?: unknown }).code))) throw error;
  }
}

/** Every page of a table's main fork, raw (line pointers, live and dead tuples, free space). */
export async function heapPages(url: string, schema: string, table: string): Promise<Buffer[]> {
  const relation = `${schema}.${table}`;
  const { rows } = await adminQuery(
    url,
    `SELECT get_raw_page($1::text, 'main', blk::int) AS page
       FROM generate_series(0, (pg_relation_size($1::regclass) / current_setting('block_size')::int) - 1) AS blk`,
    [relation],
  );
  return rows.map((row: { page: Buffer }) => row.page);
}

/** The row versions on a table's pages (heap_page_items): live, and deleted or updated (t_xmax set) but still there. */
export async function tupleVersions(url: string, schema: string, table: string): Promise<{ live: number; deleted: number }> {
  const relation = `${schema}.${table}`;
  const { rows } = await adminQuery(
    url,
    `SELECT count(*) FILTER (WHERE NOT item.gone)::int AS live, count(*) FILTER (WHERE item.gone)::int AS deleted
       FROM generate_series(0, (pg_relation_size($1::regclass) / current_setting('block_size')::int) - 1) AS blk,
            LATERAL (
              -- xmax set by a deleter or updater, not by a row lock (HEAP_XMAX_LOCK_ONLY 0x0080: the foreign-key
              -- checks' FOR KEY SHARE) nor by an aborted transaction (HEAP_XMAX_INVALID 0x0800).
              SELECT t_data, t_xmax <> 0 AND (t_infomask & x'0880'::int) = 0 AS gone
                FROM heap_page_items(get_raw_page($1::text, 'main', blk::int))
            ) AS item
      WHERE item.t_data IS NOT NULL`,
    [relation],
  );
  return rows[0] as { live: number; deleted: number };
}

/** The newest WAL segments (the purge and the inserts before it are in them). */
export async function walSegments(url: string, count = 3): Promise<Buffer[]> {
  const { rows } = await adminQuery(url, 'SELECT name FROM pg_ls_waldir() ORDER BY modification DESC, name DESC LIMIT $1', [count]);
  const segments: Buffer[] = [];
  for (const { name } of rows as { name: string }[]) {
    segments.push((await adminQuery(url, 'SELECT pg_read_binary_file($1) AS bytes', [`pg_wal/${name}`])).rows[0].bytes as Buffer);
  }
  return segments;
}

function tryOpen(sealed: Uint8Array, key: Uint8Array, aad: string): Buffer | undefined {
  try {
    return Buffer.from(open(sealed, key, aad));
  } catch (error) {
    if (error instanceof IntegrityError) return undefined;
    throw error;
  }
}

/**
 * Every byte string of the pages that opens as a data key of the fleet under one of the master keys: each
 * 72-byte window is tried, so a wrapped key is found wherever it lies (live, dead or freed space).
 */
export function dataKeysIn(pages: Buffer[], fleetId: string, masterKeys: readonly MasterKey[]): { windows: number; opened: Buffer[] } {
  const opened = new Map<string, Buffer>();
  let windows = 0;
  for (const page of pages) {
    for (let at = 0; at + WRAPPED_KEY_BYTES <= page.length; at++) {
      windows++;
      const window = page.subarray(at, at + WRAPPED_KEY_BYTES);
      for (const master of masterKeys) {
        const dek = tryOpen(window, master.key, dataKeyAad(fleetId));
        if (dek !== undefined) opened.set(dek.toString('hex'), dek);
      }
    }
  }
  return { windows, opened: [...opened.values()] };
}

/** How many times the exact bytes occur in the haystacks. */
export function occurrences(haystacks: Buffer[], needle: Buffer): number {
  let n = 0;
  for (const hay of haystacks) {
    for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) n++;
  }
  return n;
}

/** The sealed values that occur in the haystacks, and how many of those open under one of the data keys. */
export function sealedValuesIn(
  haystacks: Buffer[],
  fleetId: string,
  values: readonly SealedValue[],
  dataKeys: readonly Buffer[],
): { found: number; opened: number } {
  const present = values.filter((value) => occurrences(haystacks, value.sealed) > 0);
  const opened = present.filter((value) =>
    dataKeys.some((dek) => tryOpen(value.sealed, dek, secretsAad(fleetId, value.credentialId, value.version)) !== undefined),
  );
  return { found: present.length, opened: opened.length };
}
