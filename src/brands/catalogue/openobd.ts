import { z } from 'zod';
import { openobdAdapter } from '../adapters/openobd.js';
import { defineBrand, plainField, secretField } from '../define-brand.js';

export const openobd = defineBrand({
  slug: 'openobd',
  aliases: ['jifeline'],
  displayName: 'Jifeline openOBD',
  fields: {
    client_id: { kind: 'identity', schema: plainField(), description: 'openOBD Partner API client id.' },
    cluster_id: {
      kind: 'setting',
      schema: z.enum(['001', '002']),
      description: 'openOBD cluster: 001 (Europe) or 002 (United States).',
    },
    grpc_host: {
      kind: 'setting',
      schema: plainField()
        .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be a host name, optionally with :port')
        .default('grpc.openobd.com'),
      description: 'openOBD gRPC host (default grpc.openobd.com).',
    },
    client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'openOBD Partner API client secret.' },
    partner_api_key: {
      kind: 'secret',
      schema: secretField().optional(),
      rotatable: true,
      description: 'Legacy Partner API key (optional).',
    },
  },
  // Jifeline issues at most five Partner API credentials per partner; mirror the cap.
  maxPerFleet: 5,
  // The openobd_credentials.env that Jifeline's Python and Node clients load, in their order.
  envVariables: {
    client_id: 'OPENOBD_PARTNER_CLIENT_ID',
    client_secret: 'OPENOBD_PARTNER_CLIENT_SECRET',
    partner_api_key: 'OPENOBD_PARTNER_API_KEY',
    cluster_id: 'OPENOBD_CLUSTER_ID',
    grpc_host: 'OPENOBD_GRPC_HOST',
  },
  tokenExchange: 'Partner API client credentials; exports as openobd_credentials.env',
  exchange: openobdAdapter,
});
