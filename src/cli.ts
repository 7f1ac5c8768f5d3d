#!/usr/bin/env node
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditUsageError, auditUsage, runAuditCommand } from './audit/audit.cli.js';
import { BackupUsageError, backupUsage, runBackupCommand } from './backup/backup.cli.js';
import { loadConfig } from './config.js';
import { cliContext, cliFleetlessContext } from './core/context.js';
import { createDeps } from './deps.js';
import { openDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { defaultScopes } from './core/scopes.js';
import { deleteFleet } from './fleets/fleet-delete.cli.js';
import { runRekey } from './keys/rekey.cli.js';
import { hsmInitUsage, runHsmInit } from './keys/hsm-init.cli.js';
import { AppError } from './core/app-error.js';
import { commaList, restrictOption, restrictText } from './clients/client-cli-options.js';
import { runSignInRuleCommand, SignInRuleUsageError, signInRuleUsage } from './people/sign-in-rule.cli.js';
import { LoginUsageError, loginUsage, runLogin } from './sign-in/login.cli.js';

const usage = `usage: fleetvault <command> [options]

  fleet create <name> [--json]
  fleet delete <fleet id> [--purge] [--json]   refuses while it holds credentials or vehicles;
                              --purge destroys its data key, then every row of it (its audit chain too), then
                              re-wraps every other key under the active master key and names the older ones to
                              destroy (PostgreSQL: needs a fresh master key first; docs/operations.md)
  client create --fleet <fleet id> --name <name> [--scopes a,b] [--restrict-brands a,b] [--restrict-credentials id,id] [--json]
  key-client create --fleet <fleet id> --name <name> [--public-key <PEM or JWK file>] [--scopes a,b]
                    [--restrict-brands a,b] [--restrict-credentials id,id] [--json]
  migrate [--json]
  keys rotate [--json]        re-wrap every data key under the first (active) master key
  keys rotate-data-key (--fleet <id> | --all) [--batch-rows n] [--json]   a new data key per fleet, every kept secret
                              re-sealed under it online, then the old key destroyed (resumable: run it again)
  keys rotate-signing [--json]  add a new token-signing key; the old one verifies until its last token expires
${signInRuleUsage}
${loginUsage}
  keys hsm-init [--json]      create the master key in the PKCS#11 token (FLEETVAULT_PKCS11_*; docs/hsm.md) unless it exists
${auditUsage}
${backupUsage}

Without --scopes a client gets ${defaultScopes.join(',')} only; credentials:reveal, credentials:exchange
and clients:manage are granted only when named. --restrict-brands and --restrict-credentials narrow a client
to those credentials of its fleet (both: a credential must match both; docs/grants.md).
Reads the same environment as the server (DATABASE_URL, FLEETVAULT_DATA_DIR, master keys).`;

class UsageError extends Error {}

function print(json: boolean, value: Record<string, unknown>, text: string) {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text + '\n');
}

/**
 * `key-client create`: a service account from a public key file (PEM or JWK), or with a
 * generated P-256 pair whose private key is printed once, in the key-file shape of docs/design.md §2.3.
 */
async function createKeyClient(
  deps: Awaited<ReturnType<typeof createDeps>>,
  publicUrl: string,
  values: {
    fleet?: string | undefined;
    name?: string | undefined;
    scopes?: string | undefined;
    'public-key'?: string | undefined;
    'restrict-brands'?: string | undefined;
    'restrict-credentials'?: string | undefined;
    json?: boolean | undefined;
  },
) {
  if (values.fleet === undefined || values.name === undefined) throw new UsageError('key-client create needs --fleet and --name');
  const scopes = commaList(values.scopes) ?? defaultScopes;
  let publicKey: unknown;
  if (values['public-key'] !== undefined) {
    const text = fs.readFileSync(values['public-key'], 'utf8');
    publicKey = text.trimStart().startsWith('{') ? JSON.parse(text) : text;
  }
  const { view, privateKeyPem } = await deps.services.clients.createKeyClient(
    cliContext(values.fleet),
    values.name,
    scopes,
    publicKey,
    undefined,
    restrictOption(values),
  );
  const keyFile =
    privateKeyPem === undefined
      ? {
          id: view.id,
          token_uri: `${publicUrl}/v1/auth_tokens`,
          instance_uri: publicUrl,
          inserted_at: view.created_at,
          fleet_id: view.fleet_id,
          scopes: view.scopes,
          ...(view.restrict !== null && { restrict: view.restrict }),
          public_jwk: view.public_jwk,
        }
      : {
          id: view.id,
          private_key: privateKeyPem,
          token_uri: `${publicUrl}/v1/auth_tokens`,
          instance_uri: publicUrl,
          inserted_at: view.created_at,
          fleet_id: view.fleet_id,
          scopes: view.scopes,
          ...(view.restrict !== null && { restrict: view.restrict }),
        };
  print(
    values.json ?? false,
    keyFile,
    `created key client ${view.id} in fleet ${view.fleet_id}\nscopes: ${view.scopes.join(' ')}${restrictText(view.restrict)}` +
      (privateKeyPem === undefined ? '' : `\nprivate key (shown once, not stored):\n${privateKeyPem}`),
  );
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      fleet: { type: 'string' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      'public-key': { type: 'string' },
      'restrict-brands': { type: 'string' },
      'restrict-credentials': { type: 'string' },
      claim: { type: 'string' },
      equals: { type: 'string' },
      'expect-head': { type: 'string' },
      since: { type: 'string' },
      purge: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'batch-rows': { type: 'string' },
      out: { type: 'string' },
      in: { type: 'string' },
      url: { type: 'string' },
      export: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, ...rest] = positionals;
  if (values.help || command === undefined) throw new UsageError(usage);
  // Refuse an unknown command before opening the database (or creating a development key).
  const known = [
    'migrate',
    'keys rotate',
    'keys rotate-signing',
    'keys rotate-data-key',
    'keys hsm-init',
    'fleet create',
    'fleet delete',
    'client create',
    'key-client create',
    'sign-in-rule create',
    'audit verify',
    'audit export',
    'backup ',
    'backup verify',
    'restore ',
    'login ',
  ];
  if (!known.includes(command === 'migrate' ? command : `${command} ${sub ?? ''}`)) {
    throw new UsageError(`unknown command: ${[command, sub].filter(Boolean).join(' ').slice(0, 80)}\n\n${usage}`);
  }
  const config = loadConfig();

  if (command === 'login') {
    if (values.export && values.json) throw new LoginUsageError('login takes --export or --json, not both');
    const output = values.json ? 'json' : values.export ? 'export' : 'token';
    const sleep = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));
    const io = { stdout: process.stdout, stderr: process.stderr, fetch, sleep };
    process.exitCode = await runLogin({ url: values.url ?? config.publicUrl, fleet: values.fleet, output }, io);
    return;
  }

  if (command === 'migrate') {
    const database = openDatabase(config.databaseUrl);
    try {
      const applied = await database.withStartupLock(() => migrate(database));
      print(values.json, { applied }, applied.length === 0 ? 'database is up to date' : `applied migrations: ${applied.join(', ')}`);
    } finally {
      await database.close();
    }
    return;
  }

  if (command === 'keys' && sub === 'hsm-init') {
    if (config.pkcs11 === undefined) throw new UsageError(hsmInitUsage);
    runHsmInit(config.pkcs11, values.json, process.stdout);
    return;
  }

  if (command === 'backup' || command === 'restore') {
    await runBackupCommand(config, command, sub, rest[0], values, { stdout: process.stdout, stderr: process.stderr });
    return;
  }

  const deps = await createDeps(config);
  try {
    if (command === 'audit') {
      process.exitCode = await runAuditCommand(deps.services.audit, sub, values, process.stdout);
    } else if (command === 'sign-in-rule') {
      await runSignInRuleCommand(deps.services.signInRules, sub, values, process.stdout);
    } else if (command === 'keys' && sub === 'rotate') {
      const done = await deps.services.keys.rotateMaster(cliFleetlessContext);
      print(
        values.json,
        { active_master_key: deps.keyring.activeMasterKeyId, rewrapped_data_keys: done.dataKeys, rewrapped_vault_keys: done.vaultKeys },
        `re-wrapped ${done.dataKeys} data key(s) and ${done.vaultKeys} vault key(s) under master key ` +
          `${deps.keyring.activeMasterKeyId}; older master keys can now be removed from the configuration`,
      );
    } else if (command === 'keys' && sub === 'rotate-signing') {
      const rotated = await deps.services.keys.rotateSigning(cliFleetlessContext);
      print(
        values.json,
        { kid: rotated.kid, retired_kids: rotated.retired, retires_at: rotated.retiresAt },
        `added signing key ${rotated.kid}; every replica signs with it within 30 s` +
          (rotated.retired.length === 0 ? '' : `; ${rotated.retired.join(', ')} stays in the JWKS until ${rotated.retiresAt}`),
      );
    } else if (command === 'keys' && sub === 'rotate-data-key') {
      if ((values.fleet === undefined) === !values.all)
        throw new UsageError('keys rotate-data-key needs --fleet <id> or --all (one of them)');
      const target = values.fleet === undefined ? { all: true as const } : { fleetId: values.fleet };
      const batchRows = values['batch-rows'] === undefined ? undefined : Number(values['batch-rows']);
      if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows >= 1 && batchRows <= 10_000)) {
        throw new UsageError('--batch-rows must be a whole number from 1 to 10000');
      }
      const rotation = batchRows === undefined ? deps.services.dataKeyRotation : deps.dataKeyRotationWith({ batchRows });
      await runRekey(rotation, cliFleetlessContext, target, { json: values.json, stdout: process.stdout, stderr: process.stderr });
    } else if (command === 'fleet' && sub === 'create') {
      const name = rest.join(' ') || values.name;
      if (name === undefined) throw new UsageError('fleet create needs a name');
      const fleet = await deps.services.fleets.create(cliFleetlessContext, name);
      print(values.json, { id: fleet.id, name: fleet.name }, `created fleet ${fleet.id} (${fleet.name})`);
    } else if (command === 'fleet' && sub === 'delete') {
      const fleetId = rest[0] ?? values.fleet;
      if (fleetId === undefined) throw new UsageError('fleet delete needs the fleet id');
      await deleteFleet(deps, fleetId, values.purge, values.json);
    } else if (command === 'client' && sub === 'create') {
      if (values.fleet === undefined || values.name === undefined) throw new UsageError('client create needs --fleet and --name');
      const scopes = commaList(values.scopes) ?? defaultScopes;
      const client = await deps.services.clients.createSecretClient(
        cliContext(values.fleet),
        values.name,
        scopes,
        undefined,
        restrictOption(values),
      );
      const { restrict } = client.view;
      print(
        values.json,
        {
          client_id: client.client_id,
          client_secret: client.client_secret,
          fleet_id: client.fleet_id,
          scopes: client.scopes,
          ...(restrict !== null && { restrict }),
        },
        `created client ${client.client_id} in fleet ${client.fleet_id}\nclient_secret (shown once): ` +
          `${client.client_secret}\nscopes: ${client.scopes.join(' ')}${restrictText(restrict)}`,
      );
    } else if (command === 'key-client' && sub === 'create') {
      await createKeyClient(deps, config.publicUrl, values);
    } else {
      throw new UsageError(usage);
    }
  } finally {
    await deps.close();
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (
    error instanceof UsageError ||
    error instanceof AuditUsageError ||
    error instanceof BackupUsageError ||
    error instanceof SignInRuleUsageError ||
    error instanceof LoginUsageError
  ) {
    process.stderr.write(error.message + '\n');
    process.exit(2);
  }
  // node:util parseArgs refuses unknown options and missing option values: a usage error too.
  if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) {
    process.stderr.write(`fleetvault: ${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  const message =
    error instanceof AppError
      ? [
          error.detail,
          ...((error.extensions.errors as { pointer: string; detail: string }[] | undefined) ?? []).map((e) => `${e.pointer}: ${e.detail}`),
        ].join('\n  ')
      : (error as Error).message;
  process.stderr.write(`fleetvault: ${message}\n`);
  process.exit(1);
}
