import { AppError } from '../core/app-error.js';
import type { BrandAdapter } from './brand-adapter.js';
import type { Brand } from './define-brand.js';
import { enode } from './catalogue/enode.js';
import { geotab } from './catalogue/geotab.js';
import { highMobility } from './catalogue/high-mobility.js';
import { mercedesBenz } from './catalogue/mercedes-benz.js';
import { niu } from './catalogue/niu.js';
import { openobd } from './catalogue/openobd.js';
import { samsara } from './catalogue/samsara.js';
import { segway } from './catalogue/segway.js';
import { smartcar } from './catalogue/smartcar.js';
import { tesla } from './catalogue/tesla.js';

/** The catalogue (docs/design.md §4): a new brand is a new file in `catalogue/` plus one line here. */
export const brands: readonly Brand[] = [niu, mercedesBenz, segway, tesla, highMobility, openobd, smartcar, enode, geotab, samsara];

const bySlugOrAlias = new Map<string, Brand>();
for (const brand of brands) {
  bySlugOrAlias.set(brand.slug, brand);
  for (const alias of brand.aliases) bySlugOrAlias.set(alias, brand);
}

/** Case-insensitive, `_` and `-` alike: `MERCEDES_BENZ` finds `mercedes-benz`. */
export function normalizeBrandSlug(raw: string): string {
  return raw.trim().toLowerCase().replaceAll('_', '-');
}

export function findBrand(raw: string): Brand | undefined {
  return bySlugOrAlias.get(normalizeBrandSlug(raw));
}

export function requireBrand(raw: string): Brand {
  const brand = findBrand(raw);
  if (brand === undefined) {
    const known = brands.map((b) => b.slug).join(', ');
    throw new AppError('unknown-brand', `Unknown brand "${raw.slice(0, 64)}". Known brands: ${known}.`);
  }
  return brand;
}

/** The brands whose token the vault can obtain, by slug: each catalogue entry's `exchange` (docs/design.md §2.9). */
export const exchangeAdapters: ReadonlyMap<string, BrandAdapter> = new Map(
  brands.flatMap((brand) => (brand.exchange === null ? [] : [[brand.slug, brand.exchange] as const])),
);

/** Every identity and setting field of every brand: the credential view may carry these, never a secret. */
export const publicFieldNames: readonly string[] = [...new Set(brands.flatMap((b) => [...b.identityFields, ...b.settingFields]))];
