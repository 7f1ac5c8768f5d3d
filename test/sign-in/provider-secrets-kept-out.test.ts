import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupTables, excludedTables } from '../../src/backup/backup-tables.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { IDP_CLIENT_SECRET, startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { consoleSignIn, exchangeCode } from '../helpers/sign-in-flow.js';

/**
 * The vault is the provider's relying party but keeps none of its secrets (docs/sign-in.md): after a whole sign-in,
 * neither the provider's client secret, nor its authorization code, nor any ID, access or refresh token it issued is
 * in any log line (at trace level), any response the vault sent, or any row of any table.
 */
let idp: TestIdp;
let t: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  idp = await startTestIdp(
    [{ sub: 'ada', email: 'ada@fleetco.example', name: 'Ada Ops', groups: ['fleetco-ops'] }],
    'http://localhost:8080/auth/oidc/callback',
  );
  t = await buildTestApp({
    env: idp.env(),
    logger: pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) }),
  });
  const { token: admin } = await t.newFleet();
  const rule = await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'fleetco-ops', scopes: ['credentials:read'] });
  expect(rule.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

/** Every row of every table of the vault's schema, text and bytes alike, as one searchable string. */
async function everyStoredValue(): Promise<string> {
  const tables = [...backupTables, ...Object.keys(excludedTables)];
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await t.deps.database.db
      .selectFrom(table as never)
      .selectAll()
      .execute();
    for (const row of rows as Record<string, unknown>[]) {
      for (const value of Object.values(row))
        parts.push(Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value));
    }
  }
  return parts.join('\n');
}

describe('the identity provider\u2019s secrets stay out of the vault', () => {
  it('keeps no client secret, authorization code or provider token in logs, answers or the database', async () => {
    const flow = await consoleSignIn(t);
    expect(flow.callback.statusCode, flow.callback.body).toBe(302);
    const answer = await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri });
    expect(answer.statusCode).toBe(200);

    const providerCode = flow.callbackUrl.searchParams.get('code');
    const providerTokens = idp.issuedTokens();
    // The sign-in went through the provider's token endpoint: there is something to look for.
    expect(providerCode).toMatch(/.{20,}/);
    expect(providerTokens.length).toBeGreaterThanOrEqual(2);
    const secrets = [IDP_CLIENT_SECRET, providerCode!, ...providerTokens];

    const logs = logLines.join('\n');
    const stored = await everyStoredValue();
    const answers = [flow.callback.body, String(flow.callback.headers.location), answer.body].join('\n');
    // The person did sign in (the row and the log are there), so the scan looks where the sign-in wrote.
    expect(stored).toContain('ada@fleetco.example');
    expect(logs).toContain('/auth/oidc/callback');
    for (const secret of secrets) {
      expect(logs.includes(secret), 'a log line holds a provider secret').toBe(false);
      expect(stored.includes(secret), 'a table holds a provider secret').toBe(false);
      expect(answers.includes(secret), 'an answer holds a provider secret').toBe(false);
    }
  });
});
