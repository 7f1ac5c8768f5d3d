import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { type ConsoleFixture, signIn, startConsoleFixture } from '../helpers/console-app.js';
import { niuExample } from '../helpers/test-app.js';

/** What a token may do decides what the console offers; sessions end with a message; versions and audit against the real routes. */
let f: ConsoleFixture;
let credentialId: string;

/**
 * Segway's token endpoint as the status column test needs it, by client_id: E-0's secrets work, E-1's are refused,
 * E-2's answer is one the vault cannot use. The exchange then records each verdict as it does in production.
 */
const segwayFetch: typeof fetch = async (_url, init) => {
  const clientId = new URLSearchParams(String(init?.body)).get('client_id');
  if (clientId === 'E-0') return Response.json({ access_token: 'segway-token', token_type: 'bearer', expires_in: 3600 });
  if (clientId === 'E-1') return Response.json({ error: 'invalid_client' }, { status: 401 });
  return new Response('not a token endpoint', { status: 404 });
};

beforeAll(async () => {
  f = await startConsoleFixture({ exchange: { fetch: segwayFetch, sleep: async () => {} } });
  const created = await f.t.call(f.adminToken, 'POST', '/niu/credentials', niuExample);
  credentialId = created.json().id;
  const vehicle = { telematics_brand: 'niu', telematics_unit_id: 'unit-1', credentials_id: credentialId, name: 'Scooter 1' };
  expect((await f.t.call(f.adminToken, 'POST', '/vehicles', vehicle)).statusCode).toBe(201);
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const heading = (page: Page, name: string) => page.getByRole('heading', { name, exact: true });

async function openBerlin(page: Page) {
  await page.getByRole('button', { name: 'NIU fleet Berlin' }).click();
  await heading(page, 'NIU fleet Berlin').waitFor();
}

describe('console access', { timeout: 60_000 }, () => {
  it('says so when the client id or secret is wrong, and stays on the sign-in screen', async () => {
    const { page, context } = await f.newPage();
    await page.goto(`${f.baseUrl}/console`);
    await page.getByLabel('Client id').fill((await f.client()).clientId);
    await page.getByLabel('Client secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The client id or secret is not right.').waitFor();
    expect(await page.getByLabel('Client secret').inputValue()).toBe('not-the-secret');
    await context.close();
  });

  it('offers no write action to a read-only token', async () => {
    const { page, context } = await f.newPage();
    const auditRequests: string[] = [];
    page.on('request', (r) => void (new URL(r.url()).pathname.startsWith('/audit') && auditRequests.push(r.url())));
    await signIn(page, f.baseUrl, await f.client(['credentials:read']));
    await page.getByText('Page 1: 1 credential, sorted by name.').waitFor();
    expect(await page.getByRole('button', { name: 'New credential' }).count()).toBe(0);
    await openBerlin(page);
    await page.getByText('client1', { exact: true }).waitFor();
    // Versions are metadata a reader may see (credentials:read), without restore.
    await page.locator('section[aria-labelledby="versions-heading"] tbody tr').first().waitFor();
    expect(await page.getByRole('button', { name: /^Restore version/ }).count()).toBe(0);
    for (const name of ['Rotate the secret', 'Delete', 'Vehicles', 'Audit trail of this credential']) {
      expect(await heading(page, name).count(), name).toBe(0);
    }
    // No audit:read: no audit screen, and the console never asked for one.
    expect(await page.getByRole('button', { name: 'Audit trail' }).count()).toBe(0);
    expect(auditRequests).toEqual([]);
    await screenshot(page, 'read-only-detail');
    await context.close();
  });

  it('shows vehicles without move or delete to a token that may only read them', async () => {
    const { page, context } = await f.newPage();
    await signIn(page, f.baseUrl, await f.client(['credentials:read', 'vehicles:read']));
    await openBerlin(page);
    await page.getByText('1 vehicle reached with this credential.').waitFor();
    expect(await page.getByRole('columnheader', { name: 'Actions' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Delete|Move|Add a vehicle/ }).count()).toBe(0);
    await context.close();
  });

  it('signs out with a message when the token expires', async () => {
    const { page, context } = await f.newPage();
    await page.clock.install();
    await signIn(page, f.baseUrl, await f.client());
    // Tokens last 900 s (FLEETVAULT_TOKEN_TTL_SECONDS): the console's own timer ends the session at expires_in.
    await page.clock.fastForward('15:01');
    await page.getByText(/^Your session expired at .* UTC\. Sign in again\.$/).waitFor();
    await heading(page, 'Sign in to fleetvault').waitFor();
    await screenshot(page, 'session-expired');
    await context.close();
  });

  it('signs out with a message when the vault stops accepting the token (401)', async () => {
    const { page, context } = await f.newPage();
    await signIn(page, f.baseUrl, await f.client());
    // As the vault answers for a revoked client's token (docs/design.md §2.3).
    await page.route('**/credentials?**', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/problem+json',
        headers: { 'www-authenticate': 'Bearer realm="fleetvault", error="invalid_token"' },
        body: JSON.stringify({
          type: '/problems/invalid-token',
          title: 'Invalid bearer token',
          status: 401,
          detail: 'The token is no longer valid.',
          request_id: 'r1',
        }),
      }),
    );
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('The vault no longer accepts this session (The token is no longer valid.). Sign in again.').waitFor();
    await heading(page, 'Sign in to fleetvault').waitFor();
    await context.close();
  });

  it('restores an earlier secret version, and the audit trail records it (docs/design.md §2.8, §2.6)', async () => {
    const body = { name: 'NIU fleet Potsdam', client_id: 'client-potsdam', client_secret: 'potsdam-1' };
    const created = (await f.t.call(f.adminToken, 'POST', '/niu/credentials', body)).json();
    const { page, context } = await f.newPage();
    const client = await f.client();
    await signIn(page, f.baseUrl, client);
    await page.getByRole('button', { name: 'NIU fleet Potsdam' }).click();
    await heading(page, 'Secret versions').waitFor();
    const versions = page.locator('section[aria-labelledby="versions-heading"] tbody tr');
    await page.getByLabel('client_secret').fill('potsdam-2');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('Secret rotated: version 2 is now current.').waitFor();
    await versions.nth(1).waitFor();
    // Version 1 was made by the admin's API call, version 2 by the console's client.
    expect(await versions.locator('th').allTextContents()).toEqual(['2', '1']);
    expect(await versions.locator('td[data-label="State"]').allTextContents()).toEqual(['current', 'previous']);
    expect(await versions.locator('td[data-label="By"]').first().textContent()).toBe(`client ${client.clientId}`);
    expect(await page.getByRole('button', { name: 'Restore version 2' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Version 1 restored as version 3.').waitFor();
    await page.getByText(/^3, set /).waitFor();
    // The rotation's notice no longer describes the current version, so it is gone.
    expect(await page.getByText('Secret rotated: version 2 is now current.').count()).toBe(0);
    await versions.nth(2).waitFor();
    expect(await versions.locator('th').allTextContents()).toEqual(['3', '2', '1']);
    const panel = page.locator('section[aria-labelledby="credential-audit-heading"]');
    await panel.locator('tbody td[data-label="Action"]', { hasText: 'credential.restored' }).waitFor();
    expect(await panel.locator('tbody td[data-label="Action"]').allTextContents()).toEqual([
      'credential.restored',
      'credential.rotated',
      'credential.created',
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'versions-and-audit');
    // The vault holds version 1's secret as version 3.
    const revealed = await f.t.call(f.adminToken, 'GET', `/niu/credentials/${created.id}/secrets`);
    expect(revealed.json()).toMatchObject({ secret_version: 3, secrets: { client_secret: 'potsdam-1' } });

    await page.getByRole('button', { name: 'Audit trail', exact: true }).click();
    await heading(page, 'Audit trail').waitFor();
    await page.locator('h1:focus').waitFor();
    // Every action the trail can hold is offered, the later ones (people, webhooks, fleets, keys) included.
    const offered = await page.getByLabel('Action').locator('option').allTextContents();
    expect(offered).toEqual(expect.arrayContaining(['person.signed_in', 'webhook.created', 'fleet.deleted', 'keys.master_rotated']));
    await page.getByLabel('Action').selectOption('credential.restored');
    await page.getByRole('button', { name: 'Filter' }).click();
    // Waits for the filtered page to replace the unfiltered one.
    await expect.poll(() => page.locator('tbody td[data-label="Action"]').allTextContents()).toEqual(['credential.restored']);
    expect(await page.locator('tbody td[data-label="Target"]').textContent()).toBe(`credential ${created.id}`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'audit-filtered');
    await context.close();
  });
});

describe('console status column', { timeout: 60_000 }, () => {
  it('shows each credential’s brand-exchange status (docs/design.md §2.9)', async () => {
    const checkedAt: string[] = [];
    for (const [i, [status, answered]] of (
      [
        ['authorized', 200],
        ['rejected', 409],
        ['unreachable', 502],
      ] as const
    ).entries()) {
      const body = { name: `Segway ${status}`, client_id: `E-${i}`, client_secret: `segway-${i}` };
      const created = await f.t.call(f.adminToken, 'POST', '/segway/credentials', body);
      expect(created.statusCode).toBe(201);
      // The real path: a token request, whose answer the exchange records as the credential's status.
      const exchanged = await f.t.call(f.adminToken, 'POST', `/segway/credentials/${created.json().id}/token`);
      expect(exchanged.statusCode, exchanged.body).toBe(answered);
      const read = (await f.t.call(f.adminToken, 'GET', `/segway/credentials/${created.json().id}`)).json();
      expect(read.status).toBe(status);
      // As the console shows it: UTC, to the second.
      checkedAt.push(read.status_checked_at.replace('T', ' ').slice(0, 19));
    }
    const { page, context } = await f.newPage();
    await signIn(page, f.baseUrl, await f.client());
    await page.getByLabel('Brand', { exact: true }).selectOption('segway');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1: 3 credentials, sorted by name, filtered.').waitFor();
    const columns = ['Name', 'Brand', 'Identity', 'Secret version', 'Vehicles', 'Status'];
    expect(await page.getByRole('columnheader').allTextContents()).toEqual(columns);
    expect(await page.locator('td[data-label="Status"]').allTextContents()).toEqual([
      `authorized (checked ${checkedAt[0]} UTC)`,
      `rejected (checked ${checkedAt[1]} UTC)`,
      `unreachable (checked ${checkedAt[2]} UTC)`,
    ]);
    // Never exchanged: unknown, with no check time.
    await page.getByLabel('Brand', { exact: true }).selectOption('niu');
    await page.getByLabel('Name contains').fill('Berlin');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1: 1 credential, sorted by name, filtered.').waitFor();
    expect(await page.locator('td[data-label="Status"]').allTextContents()).toEqual(['unknown']);
    await context.close();
  });
});

describe('console vehicles', { timeout: 60_000 }, () => {
  it('reassigns a vehicle to another credential of the same brand', async () => {
    const other = await f.t.call(f.adminToken, 'POST', '/niu/credentials', {
      name: 'NIU fleet Hamburg',
      client_id: 'client2',
      client_secret: 's2',
    });
    expect(other.statusCode).toBe(201);
    const { page, context } = await f.newPage();
    await signIn(page, f.baseUrl, await f.client());
    await openBerlin(page);
    await page.getByLabel('Move Scooter 1 to').selectOption({ label: 'NIU fleet Hamburg' });
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText('Moved Scooter 1 to NIU fleet Hamburg.').waitFor();
    await page.getByText('No vehicle uses this credential.').waitFor();
    await screenshot(page, 'vehicle-reassigned');
    const vehicles = (await f.t.call(f.adminToken, 'GET', '/vehicles')).json().items;
    expect(vehicles).toMatchObject([{ name: 'Scooter 1', credentials_id: other.json().id }]);
    await context.close();
  });
});
