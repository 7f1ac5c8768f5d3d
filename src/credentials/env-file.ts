import type { Brand } from '../brands/define-brand.js';
import { validationFailed } from '../http/app-error.js';

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

/**
 * The env file of a credential: one `NAME=value` line per stored field, in the brand's own order
 * (openOBD's is the file Jifeline's clients read), absent optional fields left out.
 */
export function toEnvFile(brand: Brand, values: Record<string, string>): string {
  const names = brand.envVariables ?? Object.fromEntries(Object.keys(brand.fields).map((field) => [field, genericName(brand, field)]));
  const lines: string[] = [];
  for (const [field, variable] of Object.entries(names)) {
    const value = values[field];
    if (value === undefined) continue;
    const written = envValue(value);
    if (written === undefined) {
      throw validationFailed(
        [
          {
            pointer: `/${field}`,
            detail:
              'holds a single quote, a backslash, `${`, a carriage return or a control character: ' +
              'no env file carries it safely; reveal it as JSON',
          },
        ],
        'This credential cannot be written as an env file.',
      );
    }
    lines.push(`${variable}=${written}`);
  }
  return lines.join('\n') + '\n';
}

/** `openobd_credentials.env` (Content-Disposition filename of §2.7). */
export const envFileName = (brand: Brand) => `${brand.slug}_credentials.env`;
