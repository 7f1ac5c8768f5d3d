import type { Database } from '../db/database.js';
import { writeFileAtomically } from './atomic-file.js';
import { createBackupLines } from './backup-format.js';
import { backupTableKeys, backupTables } from './backup-tables.js';
import type { Progress } from './progress.js';
import { createSnapshotRepo, type TableRow } from './snapshot.repo.js';

/** Rows per keyset page: bounded memory, and on the server's own SQLite process a turn of the event loop between pages. */
const PAGE_ROWS = 1_000;

export interface BackupManifestHeads {
  [chain: string]: { seq: number; hash: string };
}

export interface BackupSummary {
  file: string;
  engine: string;
  schema_version: number;
  created_at: string;
  counts: Record<string, number>;
  audit_heads: BackupManifestHeads;
  sha256: string;
}

/**
 * `fleetvault backup`: every table of `backupTables`, read inside ONE snapshot (`Database.readSnapshot`), written as
 * the lines of `backup-format.ts` to `out` (mode 0600, a temporary name renamed into place). The trailer is the
 * manifest: schema version, engine, time, counts per table, each audit chain's head and the SHA-256 of the rest.
 */
export async function writeBackup(
  database: Database,
  out: string,
  options: { now: () => Date; progress: Progress },
): Promise<BackupSummary> {
  const createdAt = options.now().toISOString();
  let summary: BackupSummary | undefined;
  await writeFileAtomically(out, async (emit) => {
    let buffered: string[] = [];
    const flush = () => {
      if (buffered.length > 0) emit(buffered.join(''));
      buffered = [];
    };
    const lines = createBackupLines((line) => buffered.push(line));
    await database.readSnapshot(async (db) => {
      const repo = createSnapshotRepo(db, database.engine);
      const present = await repo.existingTables();
      const missing = backupTables.filter((table) => !present.includes(table));
      if (missing.length > 0) {
        throw new Error(`the database holds no fleetvault vault (missing tables: ${missing.join(', ')}): check DATABASE_URL`);
      }
      lines.header(createdAt);
      const heads: BackupManifestHeads = {};
      options.progress.phase('backup');
      for (const table of backupTables) {
        const keys = backupTableKeys[table];
        let page = await repo.page(table, keys, undefined, PAGE_ROWS);
        lines.table(table, page[0] === undefined ? [] : Object.keys(page[0]));
        let done = 0;
        while (page.length > 0) {
          for (const row of page) {
            lines.row(row);
            if (table === 'audit_heads') heads[String(row.chain)] = { seq: Number(row.seq), hash: String(row.hash) };
          }
          done += page.length;
          options.progress.rows(table, done);
          flush();
          if (page.length < PAGE_ROWS) break;
          const last: TableRow = page[page.length - 1]!;
          page = await repo.page(
            table,
            keys,
            keys.map((key) => last[key]),
            PAGE_ROWS,
          );
        }
      }
      const trailer = lines.trailer(
        { schemaVersion: await repo.schemaVersion(), engine: database.engine, createdAt },
        { audit_heads: heads },
      );
      flush();
      summary = {
        file: out,
        engine: trailer.engine,
        schema_version: trailer.schema_version,
        created_at: createdAt,
        counts: trailer.counts,
        audit_heads: heads,
        sha256: trailer.sha256,
      };
    });
  });
  options.progress.end();
  return summary!;
}
