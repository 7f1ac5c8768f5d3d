import { createHash } from 'node:crypto';

/**
 * The backup file's lines (docs/backup.md, "File format"): JSON lines, one header, then per table a `table` line
 * followed by its `row` lines, then one `trailer` line whose `sha256` covers every byte before it. Pure: the
 * caller decides where the lines go.
 */
export const backupFormat = 'fleetvault-backup';
export const backupFormatVersion = 1;

/** A column value as it travels in the file: bytes are tagged so they come back as bytes, not as a string. */
export type EncodedValue = string | number | null | { b64: string };

export function encodeValue(value: unknown): EncodedValue {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (value instanceof Uint8Array) return { b64: Buffer.from(value).toString('base64') };
  // A bigint or a Date would change type on the way back: refuse rather than restore something else.
  throw new TypeError(`backup: unsupported column value of type ${typeof value}`);
}

export function decodeValue(value: EncodedValue): string | number | null | Buffer {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  return Buffer.from(value.b64, 'base64');
}

export interface BackupTrailerFields {
  schemaVersion: number;
  engine: string;
  createdAt: string;
}

/** Builds the lines of one backup, counting rows per table and hashing everything before the trailer. */
export function createBackupLines(emit: (line: string) => void) {
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  let current: { name: string; columns: string[] } | undefined;
  const put = (object: unknown) => {
    const line = `${JSON.stringify(object)}\n`;
    hash.update(line);
    emit(line);
  };
  return {
    header(createdAt: string) {
      put({ type: 'header', format: backupFormat, version: backupFormatVersion, created_at: createdAt });
    },
    table(name: string, columns: string[]) {
      current = { name, columns };
      counts[name] = 0;
      put({ type: 'table', name, columns });
    },
    row(row: Record<string, unknown>) {
      if (!current) throw new TypeError('backup: a row before its table line');
      put({ type: 'row', values: current.columns.map((column) => encodeValue(row[column])) });
      counts[current.name] = (counts[current.name] ?? 0) + 1;
    },
    trailer(fields: BackupTrailerFields, extra: Record<string, unknown> = {}) {
      const trailer = {
        type: 'trailer',
        format: backupFormat,
        version: backupFormatVersion,
        schema_version: fields.schemaVersion,
        engine: fields.engine,
        created_at: fields.createdAt,
        counts: { ...counts },
        ...extra,
        sha256: hash.digest('hex'),
      };
      emit(`${JSON.stringify(trailer)}\n`);
      return trailer;
    },
  };
}
