import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'dotenv';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { defineBrand, secretField } from '../../src/brands/define-brand.js';
import { AppError } from '../../src/core/app-error.js';
import { toEnvFile } from '../../src/credentials/env-file.js';

/**
 * The env-file reveal against the three loaders people use (docs/reveal.md): for any stored values
 * the file is either refused (422) or read back EXACTLY by Node's dotenv.parse, Debian's
 * python3-dotenv (dotenv_values, interpolation on) and a POSIX shell's `set -a; . file`, with no
 * command run by the shell. Each property run writes one file of many variables, so each loader
 * starts once per run.
 */
const FIELDS = 24;
const brand = defineBrand({
  slug: 'prop-test',
  displayName: 'Property test',
  fields: Object.fromEntries(
    Array.from({ length: FIELDS }, (_, i) => [`v${i}`, { kind: 'secret' as const, schema: secretField().optional(), description: 'test' }]),
  ),
  tokenExchange: 'none known',
  exchange: null,
});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-envfile-'));
const pwned = path.join(dir, 'pwned');
const file = path.join(dir, 'prop-test_credentials.env');

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Fragments a hostile value is made of: quotes, escapes, expansions, comments, line breaks, `=`, unicode. */
const fragments = [
  "'",
  '"',
  '`',
  '\\',
  '\\n',
  '\\\\',
  '$',
  '${X}',
  '${HOME:-x}',
  '$HOME',
  `$(touch ${pwned})`,
  `\`touch ${pwned}\``,
  `; touch ${pwned}`,
  '\n',
  '\r',
  '\r\n',
  '\t',
  ' ',
  '  ',
  '#',
  ' # c',
  '=',
  'A=b',
  '\nEVIL=1\n',
  "'\nEVIL='1",
  'export ',
  '\u0000',
  '\u001b[31m',
  '\u007f',
  'é',
  '✓',
  '𝄞',
  '\u2028',
  '\u00a0',
  '\ufeff',
  '*',
  '?',
  '~',
  '!',
  '&',
  '|',
  '<',
  '>',
  '(',
  ')',
  '{',
  '}',
  ':',
  '@',
];
const hostileValue = fc.oneof(
  fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 4 })), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const varName = (i: number) => `PROP_TEST_V${i}`;

function python(): Record<string, string | null> {
  const program = 'import sys,json; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', program, file], { encoding: 'utf8' })) as Record<string, string | null>;
}

/** Sources the file in `sh` with an empty environment, then prints each variable NUL-terminated. */
function shell(count: number): string[] {
  const prints = Array.from({ length: count }, (_, i) => `printf '%s\\0' "$${varName(i)}"`).join('; ');
  const out = execFileSync('/bin/sh', ['-c', `set -a; . "$1"; ${prints}`, 'sh', file], { cwd: dir, env: {}, encoding: 'utf8' });
  return out.split('\0').slice(0, count);
}

describe('env file and the three loaders (property)', () => {
  it('is refused with 422, or read back exactly by dotenv.parse, python-dotenv and sh, running nothing', () => {
    fc.assert(
      fc.property(fc.array(hostileValue, { minLength: FIELDS, maxLength: FIELDS }), (values) => {
        // Each value alone: the refused ones are left out, so the file holds every acceptable one.
        const accepted: string[] = [];
        for (const value of values) {
          try {
            toEnvFile(brand, { v0: value });
            accepted.push(value);
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            expect((error as AppError).code).toBe('validation-failed');
          }
        }
        const stored = Object.fromEntries(accepted.map((value, i) => [`v${i}`, value]));
        const expected = Object.fromEntries(accepted.map((value, i) => [varName(i), value]));
        const text = toEnvFile(brand, stored);
        fs.writeFileSync(file, text);
        expect(parse(text)).toEqual(expected);
        expect(python()).toEqual(expected);
        expect(shell(accepted.length)).toEqual(accepted);
        expect(fs.existsSync(pwned)).toBe(false);
      }),
      { numRuns: 12 },
    );
  });

  it('each hostile fragment alone, and a command substitution above all, is refused or read back without running', () => {
    const values = fragments.map((fragment) => `a${fragment}b`);
    const accepted = values.filter((value) => {
      try {
        toEnvFile(brand, { v0: value });
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted).toContain(`a$(touch ${pwned})b`);
    for (let start = 0; start < accepted.length; start += FIELDS) {
      const batch = accepted.slice(start, start + FIELDS);
      const text = toEnvFile(brand, Object.fromEntries(batch.map((value, i) => [`v${i}`, value])));
      fs.writeFileSync(file, text);
      const expected = Object.fromEntries(batch.map((value, i) => [varName(i), value]));
      expect(parse(text)).toEqual(expected);
      expect(python()).toEqual(expected);
      expect(shell(batch.length)).toEqual(batch);
    }
    expect(fs.existsSync(pwned)).toBe(false);
  });
});
