import { exchangeAdapters as adapters, findBrand } from './brands/brand-registry.js';
import type { Config } from './config.js';

/** The brand-origin overrides of the configuration (docs/brands.md), read by src/config.ts. */

export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

const BRAND_URL_PREFIX = 'FLEETVAULT_BRAND_URL_';

/** The variable that overrides a brand's origin: `high-mobility` → `FLEETVAULT_BRAND_URL_HIGH_MOBILITY`. */
export const brandUrlVariable = (slug: string) => `${BRAND_URL_PREFIX}${slug.toUpperCase().replaceAll('-', '_')}`;

/** Why a `FLEETVAULT_BRAND_URL_*` name names no brand with a token exchange, or undefined when it does. */
function unknownBrandUrlVariable(name: string, slug: string): string | undefined {
  if (adapters.has(slug) && name === brandUrlVariable(slug)) return undefined;
  const brand = findBrand(slug);
  if (brand !== undefined && adapters.has(brand.slug)) return `names no brand: use ${brandUrlVariable(brand.slug)}`;
  const known = [...adapters.keys()].map(brandUrlVariable).join(', ');
  const why = brand === undefined ? 'names no brand' : `${brand.slug} has no token exchange`;
  return `${why}; the brand overrides are ${known}`;
}

/**
 * `FLEETVAULT_BRAND_URL_HIGH_MOBILITY=http://127.0.0.1:9403` → `{ 'high-mobility': 'http://127.0.0.1:9403' }`:
 * origins only, one variable per brand with a token exchange, spelt exactly (an alias or a typo would
 * otherwise be ignored and the vault would call the real brand). In production an `http:` origin would
 * carry the stored secrets in clear: refused unless `FLEETVAULT_ALLOW_HTTP_BRAND_URLS=true`.
 */
export function brandUrlsFrom(env: NodeJS.ProcessEnv, production: boolean, allowHttp: boolean): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(BRAND_URL_PREFIX) || value === undefined || value === '') continue;
    const slug = name.slice(BRAND_URL_PREFIX.length).toLowerCase().replaceAll('_', '-');
    const unknown = unknownBrandUrlVariable(name, slug);
    if (unknown !== undefined) throw new ConfigError(`invalid configuration: ${name}: ${unknown}`);
    if (!isOrigin(value)) {
      throw new ConfigError(`invalid configuration: ${name}: must be an origin such as http://127.0.0.1:9401 (no path)`);
    }
    if (production && !allowHttp && new URL(value).protocol === 'http:') {
      throw new ConfigError(
        `invalid configuration: ${name}: an http: brand URL in production sends the stored secrets in clear; ` +
          'use https:, or set FLEETVAULT_ALLOW_HTTP_BRAND_URLS=true to accept it',
      );
    }
    urls[slug] = value;
  }
  return urls;
}

/**
 * The start-up warnings of a production config: every brand override (docs/brands.md), since it sends the
 * stored secrets somewhere other than the brand's documented host. None outside production.
 */
export function brandUrlWarnings(config: Pick<Config, 'nodeEnv' | 'brandUrls'>): { variable: string; origin: string; message: string }[] {
  if (config.nodeEnv !== 'production') return [];
  return Object.entries(config.brandUrls).map(([slug, origin]) => ({
    variable: brandUrlVariable(slug),
    origin,
    message:
      `${brandUrlVariable(slug)} is set: ${slug} token exchanges send the stored secrets to ${origin}, ` +
      "not to the brand's documented host. Unset it unless this is a staging install.",
  }));
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
