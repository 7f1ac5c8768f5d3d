import { createHash } from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import { backupFormat, backupFormatVersion, decodeValue, type EncodedValue } from './backup-format.js';
import { backupTables } from './backup-tables.js';
import type { BackupManifestHeads } from './backup-writer.js';

/** A backup file that cannot be trusted or read: the message says what is wrong, for the operator. */
export class BackupFileError extends Error {
  override name = 'BackupFileError';
}

/** The trailer line: what the backup says it holds. */
export interface BackupManifest {
  format: string;
  version: number;
  schema_version: number;
  engine: string;
  created_at: string;
  counts: Record<string, number>;
  audit_heads: BackupManifestHeads;
  sha256: string;
}

export type BackupRecord =
  | { type: 'table'; name: string; columns: string[] }
  | { type: 'row'; table: string; columns: string[]; values: (string | number | null | Buffer)[] };

function lines(file: string): AsyncIterable<string> {
  return readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
}

function parse(line: string, lineNumber: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new BackupFileError(`line ${lineNumber} is not a JSON object`);
}

function checkHeader(line: string | undefined): void {
  const header =
    line === undefined
      ? undefined
      : (() => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return undefined;
          }
        })();
  if (header?.type !== 'header' || header.format !== backupFormat) throw new BackupFileError('not a fleetvault backup (no header line)');
  if (typeof header.version !== 'number' || !Number.isInteger(header.version) || header.version < 1) {
    throw new BackupFileError('the header has no valid format version');
  }
  if (header.version > backupFormatVersion) {
    throw new BackupFileError(
      `the backup has format version ${header.version}, newer than this fleetvault reads (${backupFormatVersion}): ` +
        'use the fleetvault release that wrote it, or a newer one',
    );
  }
}

function endsWithNewline(file: string): boolean {
  const size = fs.statSync(file).size;
  if (size === 0) return false;
  const fd = fs.openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * First pass, constant memory: the header's format and version, a whole trailer, and the SHA-256 of every byte before
 * it. Throws a `BackupFileError` naming the first problem (not a backup, newer format, truncated, changed).
 */
export async function checkBackupFile(file: string): Promise<BackupManifest> {
  if (!fs.existsSync(file)) throw new BackupFileError(`${file} does not exist`);
  const hash = createHash('sha256');
  let first: string | undefined;
  let previous: string | undefined;
  let count = 0;
  for await (const line of lines(file)) {
    if (count === 0) {
      first = line;
      checkHeader(first);
    }
    if (previous !== undefined) hash.update(`${previous}\n`);
    previous = line;
    count += 1;
  }
  if (first === undefined) throw new BackupFileError('the file is empty');
  const trailer =
    previous === undefined || !endsWithNewline(file)
      ? undefined
      : (() => {
          try {
            return JSON.parse(previous) as Record<string, unknown>;
          } catch {
            return undefined;
          }
        })();
  if (trailer?.type !== 'trailer') {
    throw new BackupFileError(`the file is truncated: it ends at line ${count} without its trailer line`);
  }
  if (trailer.sha256 !== hash.digest('hex')) {
    throw new BackupFileError('the checksum does not match: the file was changed after it was written');
  }
  const manifest = trailer as unknown as BackupManifest;
  if (!Number.isInteger(manifest.schema_version) || typeof manifest.counts !== 'object' || typeof manifest.audit_heads !== 'object') {
    throw new BackupFileError('the trailer lacks its schema version, counts or audit heads');
  }
  return manifest;
}

/**
 * Second pass: the tables and rows in file order, decoded (bytes back to Buffers), each table and its columns checked
 * against `backupTables`; the SHA-256 is recomputed on the way, so `sha256()` at the end proves the bytes read are the
 * bytes the first pass checked (the file did not change in between).
 */
export function readBackupRecords(file: string): { records: AsyncGenerator<BackupRecord>; sha256: () => string } {
  const hash = createHash('sha256');
  let digest: string | undefined;
  async function* records(): AsyncGenerator<BackupRecord> {
    let lineNumber = 0;
    let current: { name: string; columns: string[] } | undefined;
    let tableIndex = -1;
    for await (const line of lines(file)) {
      lineNumber += 1;
      const record = parse(line, lineNumber);
      if (record.type === 'trailer') {
        digest = hash.digest('hex');
        return;
      }
      hash.update(`${line}\n`);
      if (record.type === 'header') continue;
      if (record.type === 'table') {
        const index = backupTables.indexOf(record.name as (typeof backupTables)[number]);
        const columns = record.columns;
        if (index <= tableIndex || !Array.isArray(columns) || !columns.every((c) => typeof c === 'string' && /^[a-z_]{1,63}$/.test(c))) {
          throw new BackupFileError(`line ${lineNumber}: an unknown or misplaced table line`);
        }
        tableIndex = index;
        current = { name: record.name as string, columns: columns as string[] };
        yield { type: 'table', ...current };
      } else if (record.type === 'row') {
        const values = record.values;
        if (current === undefined || !Array.isArray(values) || values.length !== current.columns.length) {
          throw new BackupFileError(`line ${lineNumber}: a row that does not fit its table line`);
        }
        yield { type: 'row', table: current.name, columns: current.columns, values: (values as EncodedValue[]).map(decodeValue) };
      } else {
        throw new BackupFileError(`line ${lineNumber}: an unknown line type`);
      }
    }
    throw new BackupFileError('the file is truncated: no trailer line');
  }
  return {
    records: records(),
    sha256: () => {
      if (digest === undefined) throw new TypeError('backup: sha256() before the records were all read');
      return digest;
    },
  };
}

/** A row as an object keyed by column name. */
export function rowObject(record: Extract<BackupRecord, { type: 'row' }>): Record<string, string | number | null | Buffer> {
  return Object.fromEntries(record.columns.map((column, index) => [column, record.values[index] ?? null]));
}
