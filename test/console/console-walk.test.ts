import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * The walk through the console in Debian's Chromium, against a real listening app: sign in,
 * create the INVERS NIU example, find it, rotate it, fail to delete it while a vehicle uses it,
 * delete the vehicle, delete it, sign out. Each step leaves a screenshot in test-results/console/.
 */
let t: TestApp;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let baseUrl: string;
const responses: Response[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  fleet = await t.newFleet();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('response', (r) => responses.push(r));
  // Every CSP (and Trusted Types) violation of the page, recorded by the browser's own event.
  await page.addInitScript(`window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.effectiveDirective + ' ' + e.sample));`);
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function expectAccessible(screen: string) {
  expect(await seriousA11yViolations(page), `axe on ${screen}`).toEqual([]);
}

const heading = (name: string) => page.getByRole('heading', { name, exact: true });
const table = () => page.locator('table.data').first();

describe('console walk (1280x800)', { timeout: 60_000 }, () => {
  it('signs in with a client id and secret', async () => {
    const answer = await page.goto(`${baseUrl}/console`);
    expect(answer?.status()).toBe(200);
    await heading('Sign in to fleetvault').waitFor();
    await expectAccessible('sign-in');
    await screenshot(page, '01-sign-in');

    // The browser enforces the console's CSP: no inline script runs, no string becomes HTML (Trusted Types).
    const probe = await page.evaluate(`(() => {
      const script = document.createElement('script');
      try { script.textContent = 'window.inlineRan = true'; document.head.appendChild(script); } catch (e) { /* refused */ }
      let html = 'allowed';
      try { document.body.insertAdjacentHTML('beforeend', '<b id="injected">x</b>'); } catch (e) { html = e.name; }
      return [window.inlineRan === true, html, document.getElementById('injected') !== null];
    })()`);
    expect(probe).toEqual([false, 'TypeError', false]);

    await page.getByLabel('Client id').fill(fleet.clientId);
    await page.getByLabel('Client secret').fill(fleet.clientSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Credentials').waitFor();
    await page.getByText('No credentials yet.').waitFor();
    // In memory only: nothing in storage, no cookie.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    expect(await context.cookies()).toEqual([]);
    await expectAccessible('empty list');
    await screenshot(page, '02-signed-in');
  });

  it('shows the server’s problem+json pointers at the fields they name', async () => {
    await page.getByRole('button', { name: 'New credential' }).click();
    await heading('New credential').waitFor();
    await page.getByLabel('Brand', { exact: true }).selectOption('niu');
    await page.getByRole('button', { name: 'Create credential' }).click();
    const idError = page.locator('#create-client_id-error');
    await idError.waitFor();
    expect(await page.locator('#create-client_id').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#create-client_secret-error').isVisible()).toBe(true);
    expect(await page.locator('#create-name-error').count()).toBe(0);
    // Focus goes to the first field the server named.
    await page.locator('#create-client_id:focus').waitFor();
    await expectAccessible('create form with errors');
    await screenshot(page, '03-create-errors');
  });

  it('creates the INVERS NIU example from the form generated from /brands', async () => {
    expect(await page.getByLabel('client_secret').getAttribute('type')).toBe('password');
    await page.getByLabel('name').fill(niuExample.name);
    await page.getByLabel('client_id').fill(niuExample.client_id);
    await page.getByLabel('client_secret').fill(niuExample.client_secret);
    await screenshot(page, '04-create-filled');
    await page.getByRole('button', { name: 'Create credential' }).click();
    await heading('NIU fleet Berlin').waitFor();
    await page.getByText('Created NIU fleet Berlin.').waitFor();
    await expectAccessible('credential detail');
    await screenshot(page, '05-created');
    const stored = await t.call(fleet.token, 'GET', '/credentials?name=NIU%20fleet%20Berlin');
    expect(stored.json().items).toMatchObject([{ brand: 'niu', client_id: 'client1', secret_version: 1 }]);
  });

  it('finds it by search among others, sorted by name', async () => {
    for (const [brand, body] of [
      ['niu', { name: 'NIU fleet Hamburg', client_id: 'client2', client_secret: 'other-secret' }],
      ['segway', { name: 'Segway Paris', client_id: 'E-123', client_secret: 'segway-secret' }],
    ] as const) {
      expect((await t.call(fleet.token, 'POST', `/${brand}/credentials`, body)).statusCode).toBe(201);
    }
    await page.getByRole('button', { name: '← All credentials' }).click();
    await page.getByText('Page 1: 3 credentials, sorted by name.').waitFor();
    const names = await table().locator('tbody th').allTextContents();
    expect(names).toEqual(['NIU fleet Berlin', 'NIU fleet Hamburg', 'Segway Paris']);
    await screenshot(page, '06-list');

    await page.getByLabel('Name contains').fill('berlin');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1: 1 credential, sorted by name, filtered.').waitFor();
    const row = table().locator('tbody tr');
    expect(await row.locator('th').textContent()).toBe('NIU fleet Berlin');
    expect(await row.locator('td').allTextContents()).toEqual(['NIU', 'client_id client1', '1', '0', 'unknown']);
    await expectAccessible('search result');
    await screenshot(page, '07-search');
  });

  it('rotates the secret with If-Match, and explains a 412 when someone rotated first', async () => {
    await page.getByRole('button', { name: 'NIU fleet Berlin' }).click();
    await heading('Rotate the secret').waitFor();
    await page.getByLabel('client_secret').fill('rotated-in-console');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('Secret rotated: version 2 is now current.').waitFor();

    // Someone else rotates behind the console's back: the console's ETag is now stale.
    const id = (await t.call(fleet.token, 'GET', '/credentials?name=NIU%20fleet%20Berlin')).json().items[0].id as string;
    expect((await t.call(fleet.token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'rotated-elsewhere' })).statusCode).toBe(200);
    await page.getByLabel('client_secret').fill('too-late');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('Not rotated: someone else changed this credential after you opened it').waitFor();
    await expectAccessible('412 explained');
    await screenshot(page, '08-rotate-412');
    expect((await t.call(fleet.token, 'GET', `/niu/credentials/${id}`)).json().secret_version).toBe(3);

    await page.getByRole('button', { name: 'Reload this credential' }).click();
    await page.getByText(/^3, set /).waitFor();
  });

  it('refuses to delete it while a vehicle uses it, and lists the vehicle', async () => {
    await page.getByRole('button', { name: 'Add a vehicle…' }).click();
    await page.getByLabel('Telematics unit id').fill('niu-unit-7');
    await page.locator('#vehicle-name').fill('Scooter 7');
    await page.getByRole('button', { name: 'Add vehicle', exact: true }).click();
    await page.getByText('Added vehicle Scooter 7.').waitFor();
    const vehicleId = (await t.call(fleet.token, 'GET', '/vehicles')).json().items[0].id as string;

    await page.getByRole('button', { name: 'Delete this credential…' }).click();
    // The confirmation takes focus: Enter confirms for keyboard users.
    await page.locator('button:focus', { hasText: 'Yes, delete it' }).waitFor();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Not deleted' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Not deleted: 1 vehicle still uses this credential.');
    expect(await alert.locator('.ids li').allTextContents()).toEqual([vehicleId]);
    await expectAccessible('409 explained');
    await screenshot(page, '09-delete-409');
  });

  it('deletes the vehicle, then the credential', async () => {
    await page.getByRole('button', { name: 'Delete vehicle Scooter 7' }).click();
    await page.getByRole('button', { name: 'Yes, delete vehicle Scooter 7' }).click();
    await page.getByText('No vehicle uses this credential.').waitFor();
    await screenshot(page, '10-vehicle-deleted');

    await page.getByRole('button', { name: 'Delete this credential…' }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByText('Deleted NIU fleet Berlin.').waitFor();
    await heading('Credentials').waitFor();
    await page.getByText('Page 1: 2 credentials, sorted by name.').waitFor();
    expect(await table().locator('tbody th').allTextContents()).toEqual(['NIU fleet Hamburg', 'Segway Paris']);
    await screenshot(page, '11-credential-deleted');
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out.').waitFor();
    await heading('Sign in to fleetvault').waitFor();
    await screenshot(page, '12-signed-out');
    // The probe of the first step made the only violations: the console itself never trips its policy.
    expect(await page.evaluate('window.cspViolations')).toEqual([
      'require-trusted-types-for HTMLScriptElement textContent|window.inlineRan = true',
      'require-trusted-types-for Element insertAdjacentHTML|<b id="injected">x</b>',
    ]);
    expect(pageErrors).toEqual([]);
  });
});
