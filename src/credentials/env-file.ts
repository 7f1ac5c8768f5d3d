import type { Brand } from '../brands/define-brand.js';
import { validationFailed } from '../http/app-error.js';

/** Values written bare: dotenv returns them as they are (no quote, `#`, space or escape in them). */
const BARE = /^[A-Za-z0-9_./:+=@-]*$/;

/**
 * One value as dotenv reads it back exactly (DESIGN.md §2.7): bare when it can be; double quotes
 * with newlines written as `\n` (a PEM key) when it holds no `"`; else single quotes; else
 * backticks. dotenv expands `\n` and `\r` inside double quotes only, and keeps real newlines
 * inside single quotes and backticks, so a value with a literal `\n` pair goes in single quotes.
 */
export function envValue(value: string): string | undefined {
  if (BARE.test(value)) return value;
  if (!value.includes('"') && !/\\[nr]/.test(value)) return `"${value.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
  // dotenv turns CR LF and CR into LF before parsing: a bare CR only survives inside double quotes.
  if (value.includes('\r')) return undefined;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('`')) return `\`${value}\``;
  return undefined;
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
        [{ pointer: `/${field}`, detail: 'holds both quote kinds and a line break: no env file can carry it; reveal it as JSON' }],
        'This credential cannot be written as an env file.',
      );
    }
    lines.push(`${variable}=${written}`);
  }
  return lines.join('\n') + '\n';
}

/** `openobd_credentials.env` (Content-Disposition filename of §2.7). */
export const envFileName = (brand: Brand) => `${brand.slug}_credentials.env`;
