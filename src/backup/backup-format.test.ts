import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBackupLines, decodeValue, encodeValue } from './backup-format.js';

describe('backup lines', () => {
  it('round-trips bytes byte-identical and keeps strings, numbers and null as they are', () => {
    const bytes = Buffer.from([0, 255, 1, 2, 128]);
    expect(decodeValue(encodeValue(bytes))).toEqual(bytes);
    expect(decodeValue(encodeValue(new Uint8Array([7, 8])))).toEqual(Buffer.from([7, 8]));
    expect(decodeValue(encodeValue('AAAA'))).toBe('AAAA');
    expect(decodeValue(encodeValue(42))).toBe(42);
    expect(decodeValue(encodeValue(null))).toBeNull();
  });

  it('refuses a value it could not restore as the same type', () => {
    expect(() => encodeValue(10n)).toThrow(TypeError);
    expect(() => encodeValue(new Date())).toThrow(TypeError);
  });

  it('counts rows per table and hashes exactly the bytes before the trailer', () => {
    const lines: string[] = [];
    const out = createBackupLines((line) => lines.push(line));
    out.header('2026-12-05T00:00:00.000Z');
    out.table('fleets', ['id', 'name']);
    out.row({ id: 'f1', name: 'one' });
    out.row({ id: 'f2', name: null });
    out.table('vault_keys', ['id', 'sealed']);
    out.row({ id: 'k1', sealed: Buffer.from('xyz') });
    const trailer = out.trailer({ schemaVersion: 6, engine: 'sqlite', createdAt: '2026-12-05T00:00:00.000Z' });

    expect(trailer.counts).toEqual({ fleets: 2, vault_keys: 1 });
    const body = lines.slice(0, -1).join('');
    expect(trailer.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(JSON.parse(lines.at(-1) ?? '')).toEqual(trailer);
    expect(JSON.parse(lines[5] ?? '')).toEqual({ type: 'row', values: ['k1', { b64: Buffer.from('xyz').toString('base64') }] });
  });
});
