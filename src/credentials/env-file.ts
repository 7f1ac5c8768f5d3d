import type { Brand } from '../brands/define-brand.js';
import { validationFailed } from '../core/app-error.js';

/** Values written bare: dotenv returns them as they are (no quote, `#`, space or escape in them). */
const BARE = /^[A-Za-z0-9_./:+=@-]*$/;

/**
 * One value written so that Node's dotenv.parse, python-dotenv (interpolate=True) and a POSIX
 * shell's `set -a; . file` all read back exactly it (docs/reveal.md): bare when it holds only
 * inert characters, else in single quotes when it holds no `'`, no backslash (python-dotenv
 * unescapes `\\` and `\'` inside single quotes), no `${` (python-dotenv expands it even there),
 * no CR (Node's dotenv drops it) and no other control character. Anything else: undefined (422).
 */
export function envValue(value: string): string | undefined {
  if (BARE.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  if (/['\\]|\$\{|[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) return undefined;
  return `'${value}'`;
}

/** `SEGWAY_CLIENT_ID`, `HIGH_MOBILITY_PRIVATE_KEY`: the generic names of §2.7. */
const genericName = (brand: Brand, field: string) => `${brand.slug}_${field}`.replace(/-/g, '_').toUpperCase();

const VARIABLE = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Reads an env file back with exactly the two forms `envValue` writes (`NAME=bare` or
 * `NAME='quoted'`, the quoted one possibly spanning lines), in file order, up to the first text
 * in neither form (a stray quote, a line that is not an assignment, text after a closing quote).
 */
function readEntries(file: string): { entries: Array<[string, string]>; complete: boolean } {
  const entries: Array<[string, string]> = [];
  const stop = () => ({ entries, complete: false });
  let at = 0;
  while (at < file.length) {
    const equals = file.indexOf('=', at);
    if (equals < 0 || !VARIABLE.test(file.slice(at, equals))) return stop();
    let end: number;
    let value: string;
    if (file[equals + 1] === "'") {
      const close = file.indexOf("'", equals + 2);
      if (close < 0) return stop();
      value = file.slice(equals + 2, close);
      end = close + 1;
    } else {
      end = file.indexOf('\n', equals + 1);
      if (end < 0) return stop();
      value = file.slice(equals + 1, end);
      if (!BARE.test(value)) return stop();
    }
    if (file[end] !== '\n') return stop();
    entries.push([file.slice(at, equals), value]);
    at = end + 1;
  }
  return { entries, complete: true };
}

/** The variables of an env file `toEnvFile` wrote, in order; undefined when any of it is in neither form. */
export function readEnvFile(file: string): Array<[string, string]> | undefined {
  const { entries, complete } = readEntries(file);
  return complete ? entries : undefined;
}

const unwritable = (field: string, detail: string) =>
  validationFailed([{ pointer: `/${field}`, detail }], 'This credential cannot be written as an env file.');

/**
 * The env file of a credential: one `NAME=value` line per stored field, in the brand's own order
 * (openOBD's is the file Jifeline's clients read), absent optional fields left out. Before it is
 * returned the file is read back (`readEnvFile`) and compared with the stored values: a field that
 * does not come back exactly is a 422 naming it, never a file a loader misreads (docs/reveal.md).
 */
export function toEnvFile(brand: Brand, values: Record<string, string>): string {
  const names = brand.envVariables ?? Object.fromEntries(Object.keys(brand.fields).map((field) => [field, genericName(brand, field)]));
  const lines: string[] = [];
  const expected: Array<{ field: string; variable: string; value: string }> = [];
  for (const [field, variable] of Object.entries(names)) {
    const value = values[field];
    if (value === undefined) continue;
    const written = envValue(value);
    if (written === undefined) {
      throw unwritable(
        field,
        'holds a single quote, a backslash, `${`, a carriage return or a control character: ' +
          'no env file carries it safely; reveal it as JSON',
      );
    }
    lines.push(`${variable}=${written}`);
    expected.push({ field, variable, value });
  }
  const file = lines.join('\n') + '\n';
  assertReadsBack(file, expected);
  return file;
}

/** The read-back check of `toEnvFile`: every variable in order with exactly its stored value, else 422 naming the first that is not. */
export function assertReadsBack(file: string, expected: ReadonlyArray<{ field: string; variable: string; value: string }>): void {
  const { entries, complete } = readEntries(file);
  expected.forEach(({ field, variable, value }, index) => {
    const entry = entries[index];
    if (entry === undefined || entry[0] !== variable || entry[1] !== value) {
      throw unwritable(field, 'does not read back from the env file exactly as stored; reveal it as JSON');
    }
  });
  if (!complete || entries.length !== expected.length) {
    throw unwritable(expected[expected.length - 1]?.field ?? '', 'the env file holds more than the credential');
  }
}

/** `openobd_credentials.env` (Content-Disposition filename of §2.7). */
export const envFileName = (brand: Brand) => `${brand.slug}_credentials.env`;
