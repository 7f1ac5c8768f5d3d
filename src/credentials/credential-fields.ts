import type { Brand } from '../brands/define-brand.js';
import { AppError } from '../core/app-error.js';

/** The rules over a brand's fields that create and PATCH apply (docs/design.md §2.1, §4). */

/** Splits a parsed create body into the row's public fields and its secrets. */
export function splitFields(brand: Brand, values: Record<string, string | null | undefined>) {
  const fields: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    if (brand.secretFields.includes(key)) secrets[key] = value;
    else fields[key] = value;
  }
  return { fields, secrets };
}

/** The detail of a PATCH refused for naming a field it cannot change: the brand's rotatable fields. */
export function patchRefusalDetail(brand: Brand): string {
  return `PATCH only rotates secrets. Rotatable fields for ${brand.slug}: ${brand.rotatableFields.join(', ')}.`;
}

/** Explains why a PATCH field cannot be changed (docs/design.md §2.1: PATCH only rotates secrets). */
export function patchFieldError(brand: Brand, field: string): string {
  if (field === 'name') return 'cannot be changed: PATCH only rotates secrets';
  if (brand.identityFields.includes(field)) {
    return `cannot be changed: a different ${field} is a different credential, create it with POST /${brand.slug}/credentials`;
  }
  if (brand.settingFields.includes(field)) return 'is a setting fixed at creation: create a new credential with POST';
  return 'is not a known field';
}

/** 409 for a name the fleet already holds: the unique name index decided (docs/design.md §2.1). */
export function nameClash(name: string): AppError {
  return new AppError(
    'name-already-exists',
    `A credential named "${name}" already exists in this fleet (names are compared case-insensitively).`,
  );
}
