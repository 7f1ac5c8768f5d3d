import { z } from 'zod';
import type { App } from '../http/route-types.js';
import { brands } from './brand-registry.js';

const brandViewSchema = z.object({
  slug: z.string(),
  aliases: z.array(z.string()),
  display_name: z.string(),
  fields: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['identity', 'setting', 'secret']),
      required: z.boolean(),
      rotatable: z.boolean(),
      description: z.string(),
    }),
  ),
  max_per_fleet: z.number().int().nullable(),
  token_exchange: z.string(),
});

/** Built once: the catalogue does not change while the process runs. */
const catalogue = {
  items: brands.map((brand) => ({
    slug: brand.slug,
    aliases: brand.aliases,
    display_name: brand.displayName,
    fields: Object.entries(brand.fields).map(([name, spec]) => ({
      name,
      kind: spec.kind,
      // Optional and defaulted fields accept a missing value; cross-field rules are in the descriptions.
      required: !spec.schema.safeParse(undefined).success,
      rotatable: spec.rotatable === true,
      description: spec.description,
    })),
    max_per_fleet: brand.maxPerFleet ?? null,
    token_exchange: brand.tokenExchange,
  })),
};

export function registerBrandRoutes(app: App) {
  app.get('/brands', {
    schema: {
      tags: ['brands'],
      operationId: 'listBrands',
      summary: 'The brand catalogue: fields of each brand, no secrets',
      description:
        'Each brand\u2019s slug and aliases, its identity, setting and secret fields (which are required and which rotatable), its cap ' +
        'per fleet and how its token is obtained.',
      response: { 200: z.object({ items: z.array(brandViewSchema) }).describe('Every brand of the catalogue') },
    },
    handler: async () => catalogue,
  });
}
