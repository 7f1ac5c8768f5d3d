import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import { SIGNING_KEY_REFRESH_SECONDS } from '../../src/tokens/signing-keys.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * `keys rotate-signing` run by a CLI whose FLEETVAULT_TOKEN_TTL_SECONDS is shorter than the servers':
 * the old key must stay until the servers' tokens expire, not the CLI's (docs/security.md).
 */
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;
const SERVER_TTL_SECONDS = 7200;
const CLI_TTL_SECONDS = 900;
let server: TestApp;
let cli: TestApp;
let now = Date.now();
const clock = { now: () => new Date(now) };

beforeAll(async () => {
  server = await buildTestApp({ clock, env: { FLEETVAULT_TOKEN_TTL_SECONDS: String(SERVER_TTL_SECONDS) } });
  // The CLI's own deps on the server's database, as `fleetvault keys rotate-signing` builds them.
  cli = await buildTestApp({
    clock,
    reuse: { dataDir: server.dataDir, storage: server.storage },
    masterKeys: server.masterKeys,
    env: { FLEETVAULT_TOKEN_TTL_SECONDS: String(CLI_TTL_SECONDS) },
  });
});

afterAll(async () => {
  await cli?.close({ keepData: true });
  await server?.close();
});

describe('signing-key retirement', () => {
  it("keeps the old key until the server's tokens expire when the CLI is configured with a shorter lifetime", async () => {
    const fleet = await server.newFleet();
    await cli.deps.services.keys.rotateSigning(cliFleetlessContext);

    // Past the CLI's lifetime (plus the refresh margin) but well within the server's.
    now += (CLI_TTL_SECONDS + 2 * SIGNING_KEY_REFRESH_SECONDS + 60) * 1000;
    await server.deps.signingKeys.refresh();
    const kids = server.deps.signingKeys.jwks().keys.map((k) => k.kid);
    expect(kids).toContain(kidOf(fleet.token));
    expect((await server.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
  });
});
