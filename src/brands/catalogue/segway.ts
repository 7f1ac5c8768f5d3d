import { z } from 'zod';
import { segwayAdapter } from '../adapters/segway.js';
import { defineBrand, plainField, secretField } from '../define-brand.js';

/** Segway encodes the account's region in the client id's first letter. */
const regionByLetter: Record<string, string> = { A: 'asia', E: 'eu', U: 'us', C: 'cn' };

export const segway = defineBrand({
  slug: 'segway',
  displayName: 'Segway-Ninebot',
  fields: {
    client_id: {
      kind: 'identity',
      schema: plainField(),
      description: 'Segway fleet client id; its first letter (A/E/U/C) names the region.',
    },
    region: {
      kind: 'setting',
      schema: z.enum(['asia', 'eu', 'us', 'cn']).optional(),
      description: "Region (asia, eu, us, cn); derived from the client id's first letter when omitted.",
    },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Segway client secret.' },
  },
  refine(values, ctx) {
    const derived = regionByLetter[(values.client_id ?? '').charAt(0).toUpperCase()];
    if (values.region === undefined && derived === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: "is required: the client_id's first letter is not A, E, U or C, so the region cannot be derived",
      });
    } else if (values.region !== undefined && derived !== undefined && values.region !== derived) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: `contradicts the client_id, whose first letter means region "${derived}"`,
      });
    }
  },
  derive: (values) => ({ ...values, region: values.region ?? regionByLetter[(values.client_id ?? '').charAt(0).toUpperCase()] }),
  tokenExchange: 'OAuth2 client credentials at the regional host',
  exchange: segwayAdapter,
});
