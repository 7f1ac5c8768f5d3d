import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { type ConfiguredMasterKeys, loadConfiguredMasterKeys } from '../crypto/master-key-config.js';
import { loadMasterKeys, MasterKeyError } from '../crypto/master-keys.js';
import { openDatabase } from '../db/database.js';
import { readMigrations } from '../db/migrate.js';
import { restoreBackup } from './backup-restore.js';
import { verifyBackup } from './backup-verify.js';
import { writeBackup } from './backup-writer.js';
import { terminalProgress } from './progress.js';

export const backupUsage = `  backup --out <file> [--json]   a consistent snapshot of the whole vault while it serves (mode 0600);
                              never the master key: back that up apart
  backup verify <file> [--json]  checksum, format, and that the configured master key opens every key, secret
                              and audit chain in it; reads the file only
  restore --in <file> [--json]   into the configured database (SQLite or PostgreSQL), which must be empty:
                              verified first, then one transaction, all or nothing`;

export class BackupUsageError extends Error {}

export interface BackupCommandOptions {
  out?: string | undefined;
  in?: string | undefined;
  json?: boolean | undefined;
}

interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/**
 * The master keys of the configuration as they are, file keys and a PKCS#11 token's (docs/hsm.md): unlike a server's
 * first start, verify and restore never create a development key, which could not open the backup anyway.
 */
function configuredMasterKeys(config: Config): ConfiguredMasterKeys {
  const devFile = path.join(config.dataDir, 'master.key');
  const fileKeys = config.masterKeys !== undefined || config.masterKeyFile !== undefined || fs.existsSync(devFile);
  if (!fileKeys && config.pkcs11 === undefined) {
    throw new MasterKeyError(
      'no master key is configured: set FLEETVAULT_MASTER_KEYS or FLEETVAULT_MASTER_KEY_FILE (or the FLEETVAULT_PKCS11_* ' +
        'settings) to the master key of the vault that wrote the backup',
    );
  }
  return loadConfiguredMasterKeys(config, fileKeys ? loadMasterKeys(config).keys : []);
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** `fleetvault backup [verify]` and `fleetvault restore`. Failures throw, with a message for the operator (exit 1). */
export async function runBackupCommand(
  config: Config,
  command: 'backup' | 'restore',
  sub: string | undefined,
  file: string | undefined,
  options: BackupCommandOptions,
  streams: Streams,
): Promise<void> {
  const progress = terminalProgress(streams.stderr);
  const print = (value: Record<string, unknown>, text: string) =>
    streams.stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${text}\n`);

  if (command === 'backup' && sub === 'verify') {
    if (file === undefined) throw new BackupUsageError('backup verify needs the backup file');
    const newestSchemaVersion = readMigrations('sqlite').at(-1)?.version ?? 0;
    const masterKeys = configuredMasterKeys(config);
    const verified = await verifyBackup(file, masterKeys.keys, { newestSchemaVersion, progress }).finally(() => masterKeys.close());
    const { manifest } = verified;
    print(
      {
        ok: true,
        file,
        ...manifest,
        data_keys: verified.data_keys,
        secrets_opened: verified.secrets_opened,
        chains: verified.chains.length,
      },
      `${file}: intact; ${total(manifest.counts)} rows from ${manifest.engine} ` +
        `(schema ${manifest.schema_version}, ${manifest.created_at}); ${verified.data_keys} data key(s) unwrap, ` +
        `${verified.secrets_opened} sealed secret(s) open, ${verified.chains.length} audit chain(s) hold`,
    );
    return;
  }
  if (command === 'backup') {
    if (sub !== undefined) throw new BackupUsageError(`unknown command: backup ${sub.slice(0, 40)}\n${backupUsage}`);
    if (options.out === undefined) throw new BackupUsageError('backup needs --out <file>');
    const database = openDatabase(config.databaseUrl);
    try {
      const started = Date.now();
      const summary = await writeBackup(database, options.out, { now: () => new Date(), progress });
      print(
        { ...summary, seconds: (Date.now() - started) / 1000 },
        `wrote ${summary.file}: ${total(summary.counts)} rows, ${Object.keys(summary.audit_heads).length} audit chain head(s), ` +
          `sha256 ${summary.sha256}\nthe master key is not in it: keep it backed up apart`,
      );
    } finally {
      await database.close();
    }
    return;
  }
  if (options.in === undefined) throw new BackupUsageError('restore needs --in <file>');
  const masterKeys = configuredMasterKeys(config);
  let database;
  try {
    database = openDatabase(config.databaseUrl);
  } catch (error) {
    masterKeys.close();
    throw error;
  }
  try {
    const started = Date.now();
    const done = await restoreBackup(database, options.in, masterKeys.keys, progress);
    print(
      {
        ok: true,
        file: options.in,
        engine: database.engine,
        from_engine: done.manifest.engine,
        restored: done.restored,
        audit_heads: done.manifest.audit_heads,
        seconds: (Date.now() - started) / 1000,
      },
      `restored ${total(done.restored)} rows from ${options.in} ` +
        `(a ${done.manifest.engine} backup of ${done.manifest.created_at}) into ${database.engine}`,
    );
  } finally {
    await database.close();
    masterKeys.close();
  }
}
