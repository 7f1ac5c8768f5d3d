import { type ChainReport, SYSTEM_CHAIN, verifyChain } from '../audit/audit-chain.js';
import { toAuditEvent } from '../audit/audit.repo.js';
import { IntegrityError, open, sodiumReady } from '../crypto/aead.js';
import { secretsAad } from '../crypto/associated-data.js';
import type { MasterKeyWrapper, WrapBinding } from '../crypto/master-key-provider.js';
import type { AuditEventsTable } from '../db/schema.js';
import { type BackupManifest, BackupFileError, type BackupRecord, checkBackupFile, readBackupRecords, rowObject } from './backup-reader.js';
import type { Progress } from './progress.js';

type Row = ReturnType<typeof rowObject>;

export interface VerifySummary {
  manifest: BackupManifest;
  data_keys: number;
  secrets_opened: number;
  chains: ChainReport[];
}

/** Pulls records one at a time, with a look at the next one (an audit chain ends where the next chain begins). */
function peekable(source: AsyncGenerator<BackupRecord>) {
  let next: IteratorResult<BackupRecord> | undefined;
  return {
    async peek(): Promise<BackupRecord | undefined> {
      next ??= await source.next();
      return next.done ? undefined : next.value;
    },
    async take(): Promise<BackupRecord | undefined> {
      const record = await this.peek();
      next = undefined;
      return record;
    },
  };
}

/**
 * `fleetvault backup verify`: the file's format and checksum (first pass), then, reading it again, that the given
 * master keys (through their providers: a file key, or a key in a PKCS#11 token) unwrap every data key and vault key,
 * that every sealed secret and kept version opens, that every audit chain holds (`verifyChain`, as `audit verify`) and
 * ends at the head the backup recorded, and that every table has the rows the manifest counts. Reads the file only.
 * Throws a `BackupFileError` naming the first problem.
 */
export async function verifyBackup(
  file: string,
  masterKeys: readonly MasterKeyWrapper[],
  options: { newestSchemaVersion: number; progress: Progress },
): Promise<VerifySummary> {
  // The CLI's backup commands build no deps (which await it): without this, an early open races libsodium's
  // asynchronous start and fails as if the key were wrong.
  await sodiumReady();
  const manifest = await checkBackupFile(file);
  if (manifest.schema_version > options.newestSchemaVersion) {
    throw new BackupFileError(
      `the backup has schema version ${manifest.schema_version}, newer than this fleetvault knows (${options.newestSchemaVersion}): ` +
        'use the fleetvault release that wrote it, or a newer one',
    );
  }
  const keks = new Map(masterKeys.map((key) => [key.id, key]));
  const kek = (id: unknown, what: string): MasterKeyWrapper => {
    const key = keks.get(String(id));
    if (key === undefined) throw new BackupFileError(`${what} is wrapped by master key "${String(id)}", which is not configured`);
    return key;
  };
  const unwrapOr = (wrapped: unknown, wrapper: MasterKeyWrapper, binding: WrapBinding, failure: string): Uint8Array => {
    try {
      if (!Buffer.isBuffer(wrapped)) throw new IntegrityError('not bytes');
      return wrapper.unwrap(wrapped, binding);
    } catch (error) {
      if (error instanceof IntegrityError) throw new BackupFileError(failure);
      throw error;
    }
  };
  const openOr = (sealed: unknown, key: Buffer, aad: string, failure: string): Uint8Array => {
    try {
      if (!Buffer.isBuffer(sealed)) throw new IntegrityError('not bytes');
      return open(sealed, key, aad);
    } catch (error) {
      if (error instanceof IntegrityError) throw new BackupFileError(failure);
      throw error;
    }
  };

  const dataKeys = new Map<string, { fleetId: string; key: Buffer }>();
  let auditKey: { key: Buffer; createdAt: string; id: string } | undefined;
  let secretsOpened = 0;
  const chains: ChainReport[] = [];
  const counts: Record<string, number> = {};

  const openSecrets = (row: Row, credentialId: string, what: string) => {
    const dataKey = row.data_key_id === null ? undefined : dataKeys.get(String(row.data_key_id));
    if (dataKey === undefined || dataKey.fleetId !== row.fleet_id) {
      throw new BackupFileError(`${what}: its data key ${String(row.data_key_id)} is not in the backup`);
    }
    openOr(
      row.sealed_secrets,
      dataKey.key,
      secretsAad(String(row.fleet_id), credentialId, Number(row.secret_version)),
      `${what} does not open with its fleet's data key`,
    );
    secretsOpened += 1;
  };

  const checkRow = (table: string, row: Row) => {
    if (table === 'vault_keys') {
      const what = `vault key ${String(row.id)} (${String(row.purpose)})`;
      const material = unwrapOr(
        row.sealed_key,
        kek(row.kek_id, what),
        { kind: 'vault-key', keyId: String(row.id), purpose: String(row.purpose) },
        `master key "${String(row.kek_id)}" does not open ${what}: is it the master key of the vault that wrote the backup?`,
      );
      const newer = auditKey === undefined || `${String(row.created_at)} ${String(row.id)}` > `${auditKey.createdAt} ${auditKey.id}`;
      if (row.purpose === 'audit-hmac' && row.retired_at === null && newer) {
        auditKey = { key: Buffer.from(material), createdAt: String(row.created_at), id: String(row.id) };
      }
    } else if (table === 'fleet_data_keys') {
      const what = `the data key of fleet ${String(row.fleet_id)}`;
      const key = unwrapOr(
        row.wrapped_key,
        kek(row.kek_id, what),
        { kind: 'data-key', fleetId: String(row.fleet_id), dataKeyId: String(row.id) },
        `master key "${String(row.kek_id)}" does not open ${what}: is it the master key of the vault that wrote the backup?`,
      );
      dataKeys.set(String(row.id), { fleetId: String(row.fleet_id), key: Buffer.from(key) });
    } else if (table === 'credentials') {
      openSecrets(row, String(row.id), `credential ${String(row.id)} (secret_version ${String(row.secret_version)})`);
    } else if (table === 'credential_secret_versions') {
      const id = String(row.credential_id);
      openSecrets(row, id, `kept version ${String(row.secret_version)} of credential ${id}`);
    } else if (table === 'audit_heads') {
      const computed = chains.find((report) => (report.fleet_id ?? SYSTEM_CHAIN) === row.chain);
      const recorded = manifest.audit_heads[String(row.chain)];
      const head = `${String(row.seq)}:${String(row.hash)}`;
      if (computed === undefined || `${computed.head.seq}:${computed.head.hash}` !== head) {
        throw new BackupFileError(`audit chain ${String(row.chain)}: its events do not end at its recorded head ${head}`);
      }
      if (recorded === undefined || `${recorded.seq}:${recorded.hash}` !== head) {
        throw new BackupFileError(`audit chain ${String(row.chain)}: the manifest does not record head ${head}`);
      }
    }
  };

  const { records, sha256 } = readBackupRecords(file);
  const reader = peekable(records);
  options.progress.phase('verify');
  try {
    for (let record = await reader.take(); record !== undefined; record = await reader.take()) {
      if (record.type === 'table') {
        counts[record.name] = 0;
        continue;
      }
      if (record.table === 'audit_events') {
        chains.push(await verifyOneChain(record));
        continue;
      }
      checkRow(record.table, rowObject(record));
      counts[record.table] = (counts[record.table] ?? 0) + 1;
      options.progress.rows(record.table, counts[record.table]!);
    }
  } finally {
    // Closes the file when a check stopped the walk early.
    await records.return(undefined);
  }

  /** Walks the chain `first` begins, up to the next chain's first event (events come chain by chain, in seq order). */
  async function verifyOneChain(first: Extract<BackupRecord, { type: 'row' }>): Promise<ChainReport> {
    if (auditKey === undefined) throw new BackupFileError('the backup holds audit events but no audit key');
    const chainColumn = first.columns.indexOf('chain');
    const chain = first.values[chainColumn];
    if (chains.some((report) => (report.fleet_id ?? SYSTEM_CHAIN) === chain)) {
      throw new BackupFileError(`audit chain ${String(chain)}: its events are not together in the file`);
    }
    const belongs = (record: BackupRecord | undefined) =>
      record?.type === 'row' && record.table === 'audit_events' && record.values[chainColumn] === chain;
    async function* events() {
      let record: BackupRecord | undefined = first;
      while (record !== undefined) {
        counts.audit_events = (counts.audit_events ?? 0) + 1;
        options.progress.rows('audit_events', counts.audit_events);
        yield toAuditEvent(rowObject(record as typeof first) as unknown as AuditEventsTable);
        record = belongs(await reader.peek()) ? await reader.take() : undefined;
      }
    }
    const report = await verifyChain({ key: auditKey.key, fleetId: chain === SYSTEM_CHAIN ? null : String(chain), events: events() });
    if (report.problem !== undefined) {
      throw new BackupFileError(
        `audit chain ${String(chain)} does not hold at seq ${report.problem.seq} (${report.problem.kind}): ${report.problem.detail}`,
      );
    }
    return report;
  }

  options.progress.end();
  if (sha256() !== manifest.sha256) throw new BackupFileError('the file changed while it was being verified');
  for (const [table, expected] of Object.entries(manifest.counts)) {
    if ((counts[table] ?? 0) !== expected) {
      throw new BackupFileError(`table ${table} has ${counts[table] ?? 0} rows, the manifest says ${expected}`);
    }
  }
  return { manifest, data_keys: dataKeys.size, secrets_opened: secretsOpened, chains };
}
