import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';
import { freePort, startTestIdp, type TestIdp } from '../helpers/test-idp.js';

/**
 * A person signs in to the console through a real OpenID provider (docs/sign-in.md), in Chromium: the button, the
 * provider's round trip, the credential list, a reveal, and the reveal in the audit view under their email. A person
 * no rule admits ends on the vault's refusal page.
 */
let idp: TestIdp;
let t: TestApp;
let browser: Browser;
let baseUrl: string;
let credentialId: string;
let secondFleetId: string;

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  idp = await startTestIdp(
    [
      { sub: 'ada', email: 'ada@fleetco.example', name: 'Ada Ops', groups: ['fleetco-ops'] },
      { sub: 'bob', email: 'bob@fleetco.example', name: 'Bob Nobody', groups: ['visitors'] },
      { sub: 'cyd', email: 'cyd@fleetco.example', name: 'Cyd Two-Fleets', groups: ['fleetco-ops', 'second-fleet'] },
    ],
    `${baseUrl}/auth/oidc/callback`,
  );
  // The redirect URIs are built from the public URL: the one the browser reaches.
  t = await buildTestApp({ env: idp.env({ FLEETVAULT_PUBLIC_URL: baseUrl }) });
  const fleet = await t.newFleet();
  const rule = await t.call(fleet.token, 'POST', '/sign-in-rules', {
    claim: 'groups',
    equals: 'fleetco-ops',
    scopes: ['credentials:read', 'credentials:reveal', 'audit:read'],
  });
  expect(rule.statusCode).toBe(201);
  const second = await t.newFleet();
  expect((await t.call(second.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'second-fleet' })).statusCode).toBe(201);
  secondFleetId = second.fleetId;
  const created = await t.call(fleet.token, 'POST', '/niu/credentials', niuExample);
  credentialId = created.json().id;
  await t.app.listen({ port, host: '127.0.0.1' });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await idp?.close();
});

async function newPage(): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

describe('console: signing in as a person', { timeout: 60_000 }, () => {
  it('signs in through the provider, lists, reveals, and finds the reveal in the audit view under the email', async () => {
    idp.signInAs('ada');
    const page = await newPage();
    await page.goto(`${baseUrl}/console`);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    await page.getByRole('heading', { name: 'Credentials', exact: true }).waitFor();
    await page.getByText('Ada Ops (ada@fleetco.example)').waitFor();
    // The code and state left the address bar; the token is in memory only.
    expect(new URL(page.url()).search).toBe('');
    const storage = await page.evaluate('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])');
    expect(storage).toBe('[[],[],""]');
    await screenshot(page, 'person-signed-in');

    await page.getByRole('button', { name: niuExample.name }).click();
    await page.getByRole('button', { name: 'Reveal secrets' }).click();
    await page.getByText(niuExample.client_secret).waitFor();
    await page.getByRole('button', { name: 'Hide secrets' }).click();

    await page.getByRole('button', { name: 'Audit trail', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: 'credential.revealed' }).filter({ hasText: 'ada@fleetco.example' });
    await row.first().waitFor();
    expect(await row.first().textContent()).toContain(credentialId);
    await screenshot(page, 'person-audit');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).waitFor();
  });

  it('a person whose rules match two fleets picks one, and acts in that fleet only', async () => {
    idp.signInAs('cyd');
    const page = await newPage();
    await page.goto(`${baseUrl}/console`);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    await page.getByRole('heading', { name: 'Choose a fleet' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'person-fleet-picker');
    await page.getByRole('listitem').filter({ hasText: secondFleetId }).getByRole('button').click();
    await page.getByRole('heading', { name: 'Credentials', exact: true }).waitFor();
    await page.getByText('Cyd Two-Fleets (cyd@fleetco.example)').waitFor();
    // The second fleet holds no credential: the first fleet's NIU credential is not listed.
    await page.getByText('No credentials yet.').waitFor();
  });

  it('a person no rule admits ends on a clear refusal page', async () => {
    idp.signInAs('bob');
    const page = await newPage();
    await page.goto(`${baseUrl}/console`);
    await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
    await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
    await page.getByText('No sign-in rule of any fleet lets you in. Ask a fleet administrator for access.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/auth/oidc/callback');
    await screenshot(page, 'person-refused');
  });
});
