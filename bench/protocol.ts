/** Messages between the bench runner (parent) and a server process (bench/server.ts) over IPC. */

export type Engine = 'sqlite' | 'postgres';

export interface StartArgs {
  engine: Engine;
  dataDir: string;
  /** PostgreSQL URL and the schema the runner created for this run (postgres only). */
  databaseUrl?: string;
  pgSchema?: string;
  pgPoolSize?: number;
  logLevel: string;
  /** Credentials created through the service in the main fleet (GET, PATCH and list targets). */
  poolSize: number;
  /** Extra environment for the app's config (the exchange part points FLEETVAULT_BRAND_URL_SMARTCAR at an emulator). */
  env?: Record<string, string>;
  /** Smartcar credentials `bench-smartcar-<i>` / `bench-secret` to exchange (the exchange part). */
  exchangePool?: number;
}

export interface Started {
  engine: Engine;
  pid: number;
  appUrl: string;
  bareUrl: string;
  fleetId: string;
  token: string;
  clientId: string;
  clientSecret: string;
  credentialIds: string[];
  /** The smartcar credentials of `exchangePool`. */
  exchangeIds: string[];
  /** The SQLite file (sqlite only), for direct seeding by the runner. */
  sqliteFile?: string;
}

export interface ScaleFleet {
  fleetId: string;
  token: string;
  /** A credential created through the API whose sealed blob and fields seed the rest. */
  templateId: string;
}

export type Command =
  | { cmd: 'start'; args: StartArgs }
  | { cmd: 'fleet'; args: { name: string } }
  | { cmd: 'raw'; args: { seconds: number } }
  | { cmd: 'memory' }
  | { cmd: 'cpu' }
  | { cmd: 'close' };

export interface Request {
  id: number;
  command: Command;
}

export interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}
