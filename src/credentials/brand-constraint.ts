import type { FastifyInstance } from 'fastify';
import { findBrand } from '../brands/brand-registry.js';

type ConstraintStrategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];

/** The first path segment, percent-decoded as the router decodes `:brand`; undefined when it does not decode. */
function firstSegment(url: string): string | undefined {
  const end = url.slice(1).search(/[/?#]/);
  const segment = end < 0 ? url.slice(1) : url.slice(1, end + 1);
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The router constraint `brand`: the catalogue slug the first path segment names, matched as every credential route
 * matches `{brand}` (case-insensitive, `_` as `-`, aliases; brand-registry.ts), so `/NIU/credentials` and
 * `/jifeline/credentials` reach the routes registered for `niu` and `openobd`. A segment that names no brand derives
 * nothing, and the request goes to the route registered without the constraint (find-my-way: an unconstrained route
 * matches when no constrained one does). The router derives it for every request: a slice and a map lookup.
 */
export const brandConstraint: ConstraintStrategy = {
  name: 'brand',
  storage() {
    const routes = new Map<string, unknown>();
    return {
      get: (slug: string) => (routes.get(slug) ?? null) as never,
      set: (slug: string, store: unknown) => void routes.set(slug, store),
    };
  },
  deriveConstraint(request: { url?: string }) {
    const segment = firstSegment(request.url ?? '/');
    return segment === undefined ? undefined : findBrand(segment)?.slug;
  },
  mustMatchWhenDerived: false,
  validate(value: unknown) {
    if (typeof value !== 'string' || findBrand(value)?.slug !== value) {
      throw new TypeError(`brand constraint: ${String(value)} is no catalogue slug`);
    }
  },
};
