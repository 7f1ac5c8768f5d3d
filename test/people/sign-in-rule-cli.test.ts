import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsScript } from '../helpers/run-process.js';
import { urlWithSchema } from '../helpers/server-process.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** `fleetvault sign-in-rule create` (docs/cli.md): the rule it writes is the API's, audited as the operator's. */
let t: TestApp;
let env: Record<string, string>;
let fleetId: string;
let admin: string;

beforeAll(async () => {
  t = await buildTestApp();
  const key = t.masterKeys[0]!;
  env = {
    FLEETVAULT_DATA_DIR: t.dataDir,
    FLEETVAULT_MASTER_KEYS: `${key.id}:${key.key.toString('base64')}`,
    ...(t.storage.databaseUrl && t.storage.pgSchema && { DATABASE_URL: urlWithSchema(t.storage.databaseUrl, t.storage.pgSchema) }),
  };
  ({ fleetId, token: admin } = await t.newFleet());
});
afterAll(() => t?.close());

describe('fleetvault sign-in-rule create', { timeout: 90_000 }, () => {
  it('--json prints the rule as GET /sign-in-rules shows it; the event names the CLI', async () => {
    const args = ['sign-in-rule', 'create', '--fleet', fleetId, '--claim', 'groups', '--equals', 'fleetco-ops'];
    const res = await runTsScript(
      'src/cli.ts',
      [...args, '--scopes', 'credentials:read,credentials:reveal', '--restrict-brands', 'niu', '--json'],
      env,
    );
    expect(res.code, res.stderr).toBe(0);
    const rule = JSON.parse(res.stdout);
    expect(rule).toMatchObject({
      fleet_id: fleetId,
      claim: 'groups',
      equals: 'fleetco-ops',
      scopes: ['credentials:read', 'credentials:reveal'],
      restrict: { brands: ['niu'] },
    });
    expect((await t.call(admin, 'GET', '/sign-in-rules')).json().items).toEqual([rule]);
    const event = (await t.call(admin, 'GET', `/audit?action=sign_in_rule.created&target_id=${rule.id}`)).json().items[0];
    expect(event.actor).toEqual({ type: 'cli', id: 'cli' });
  });

  it('without --claim is a usage error (exit 2); a restricted rule with clients:manage exits 1 naming the field', async () => {
    const usage = await runTsScript('src/cli.ts', ['sign-in-rule', 'create', '--fleet', fleetId, '--equals', 'x'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('sign-in-rule create needs --fleet, --claim and --equals');
    const refused = await runTsScript(
      'src/cli.ts',
      [
        'sign-in-rule',
        'create',
        '--fleet',
        fleetId,
        '--claim',
        'groups',
        '--equals',
        'x',
        '--scopes',
        'clients:manage',
        '--restrict-brands',
        'niu',
      ],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('/scopes');
  });
});
