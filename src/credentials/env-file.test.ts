import { generateKeyPairSync } from 'node:crypto';
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { requireBrand } from '../brands/brand-registry.js';
import { AppError } from '../core/app-error.js';
import { assertReadsBack, envValue, readEnvFile, toEnvFile } from './env-file.js';

const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('toEnvFile', () => {
  it('writes openobd_credentials.env with Jifeline names in their order, partner key only when stored', () => {
    const brand = requireBrand('openobd');
    const values = { client_id: 'partner-7', client_secret: 's3cr#t "x"', cluster_id: '001', grpc_host: 'grpc.openobd.com' };
    const file = toEnvFile(brand, values);
    expect(file.split('\n').map((line) => line.split('=')[0])).toEqual([
      'OPENOBD_PARTNER_CLIENT_ID',
      'OPENOBD_PARTNER_CLIENT_SECRET',
      'OPENOBD_CLUSTER_ID',
      'OPENOBD_GRPC_HOST',
      '',
    ]);
    expect(parse(file)).toEqual({
      OPENOBD_PARTNER_CLIENT_ID: 'partner-7',
      OPENOBD_PARTNER_CLIENT_SECRET: 's3cr#t "x"',
      OPENOBD_CLUSTER_ID: '001',
      OPENOBD_GRPC_HOST: 'grpc.openobd.com',
    });
    expect(parse(toEnvFile(brand, { ...values, partner_api_key: 'legacy' }))).toMatchObject({ OPENOBD_PARTNER_API_KEY: 'legacy' });
  });

  it('names other brands <SLUG>_<FIELD> and keeps a multi-line PEM key exactly', () => {
    const file = toEnvFile(requireBrand('high-mobility'), { client_id: 'hm-1', environment: 'sandbox', key_id: 'k1', private_key: pem });
    expect(parse(file)).toEqual({
      HIGH_MOBILITY_CLIENT_ID: 'hm-1',
      HIGH_MOBILITY_ENVIRONMENT: 'sandbox',
      HIGH_MOBILITY_KEY_ID: 'k1',
      HIGH_MOBILITY_PRIVATE_KEY: pem,
    });
    expect(file).toContain("HIGH_MOBILITY_PRIVATE_KEY='-----BEGIN PRIVATE KEY-----\n");
  });

  it.each([
    ['plain', 'abc-DEF_1.2/3:4+5=6@7'],
    ['spaces and hash', '  pass word # not a comment  '],
    ['double quote', 'say "hi"'],
    ['dollar and command', '$HOME $(touch /tmp/x) `id`'],
    ['empty', ''],
    ['unicode', 'pässwörd ✓'],
  ])('dotenv.parse returns a %s value exactly', (_label, value) => {
    expect(parse(`V=${envValue(value)}\n`).V).toBe(value);
  });

  it.each([
    ['single and double quotes', `it's "quoted"`],
    ['trailing backslash (NODE_OPTIONS injection)', 'x\\'],
    ['literal backslash-n', 'C:\\new\\dir'],
    ['brace expansion', '${NODE_OPTIONS}'],
    ['carriage return', 'line1\r\nline2'],
    ['NUL', 'a\u0000b'],
  ])('refuses a %s value (422 instead of a file a loader misreads)', (_label, value) => {
    expect(envValue(value)).toBeUndefined();
  });

  it('refuses a value no env file can carry, pointing at its field', () => {
    const brand = requireBrand('niu');
    const error = (() => {
      try {
        toEnvFile(brand, { client_id: 'c', client_secret: 'a\'b"c`d\ne' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation-failed');
    expect(JSON.stringify(error)).not.toContain('a\'b"c');
  });

  it('reads its own file back: both forms, a quoted value across lines, in order', () => {
    expect(readEnvFile("A=x=y\nB='two\nlines # kept'\nC=\n")).toEqual([
      ['A', 'x=y'],
      ['B', 'two\nlines # kept'],
      ['C', ''],
    ]);
    for (const broken of ["A='open\n", "A='x'y\n", 'A=two words\n', 'lower=x\n', 'A=x']) expect(readEnvFile(broken)).toBeUndefined();
  });

  it('refuses with 422 naming the field a file that does not read back to the stored values', () => {
    const expected = [
      { field: 'client_id', variable: 'NIU_CLIENT_ID', value: 'c' },
      { field: 'client_secret', variable: 'NIU_CLIENT_SECRET', value: 'a b' },
    ];
    expect(() => assertReadsBack("NIU_CLIENT_ID=c\nNIU_CLIENT_SECRET='a b'\n", expected)).not.toThrow();
    for (const file of ["NIU_CLIENT_ID=c\nNIU_CLIENT_SECRET='a b\n", "NIU_CLIENT_ID=c\nNIU_CLIENT_SECRET='a'\n", 'NIU_CLIENT_ID=c\n']) {
      const error = (() => {
        try {
          assertReadsBack(file, expected);
        } catch (caught) {
          return caught as AppError;
        }
      })();
      expect(error?.code).toBe('validation-failed');
      expect(JSON.stringify(error)).toContain('/client_secret');
      expect(JSON.stringify(error)).not.toContain('a b');
    }
  });
});
