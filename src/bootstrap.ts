import fs from 'node:fs';
import path from 'node:path';
import { allScopes } from './core/scopes.js';
import type { Config } from './config.js';
import { systemContext, systemFleetlessContext } from './core/context.js';
import type { Deps } from './deps.js';

export interface BootstrapResult {
  file: string;
  fleetId: string;
  clientId: string;
}

/**
 * On an empty database: a `default` fleet and an admin client with every scope, whose
 * credentials go to `<data dir>/bootstrap-client.json` (0600). Returns undefined when
 * the database already has a fleet. The secret is written to the file, never logged.
 */
export async function bootstrapIfEmpty(deps: Deps, config: Config): Promise<BootstrapResult | undefined> {
  const { fleets, clients } = deps.services;
  if (!(await fleets.isEmpty())) return undefined;
  const fleet = await fleets.create(systemFleetlessContext, 'default');
  // The one client that names every scope: it creates the others (README "Quick start").
  const client = await clients.createSecretClient(systemContext(fleet.id), 'bootstrap admin', allScopes);
  const file = path.join(config.dataDir, 'bootstrap-client.json');
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const contents = {
    fleet_id: fleet.id,
    client_id: client.client_id,
    client_secret: client.client_secret,
    token_url: `${config.publicUrl}/oauth/token`,
    scopes: client.scopes,
  };
  fs.writeFileSync(file, JSON.stringify(contents, null, 2) + '\n', { mode: 0o600 });
  // writeFileSync's mode only applies to a new file; tighten an existing one too.
  fs.chmodSync(file, 0o600);
  return { file, fleetId: fleet.id, clientId: client.client_id };
}
