import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { type ConsoleFixture, signIn, startConsoleFixture } from '../helpers/console-app.js';
import { niuExample } from '../helpers/test-app.js';

/** What a token may do decides what the console offers; sessions end with a message; pending routes stay hidden. */
let f: ConsoleFixture;
let credentialId: string;

beforeAll(async () => {
  f = await startConsoleFixture();
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
    await signIn(page, f.baseUrl, await f.client(['credentials:read']));
    await page.getByText('Page 1: 1 credential, sorted by name.').waitFor();
    expect(await page.getByRole('button', { name: 'New credential' }).count()).toBe(0);
    await openBerlin(page);
    await page.getByText('client1', { exact: true }).waitFor();
    for (const name of ['Rotate the secret', 'Delete', 'Vehicles']) expect(await heading(page, name).count(), name).toBe(0);
    expect(await page.getByRole('button', { name: 'Audit trail' }).count()).toBe(0);
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
    // As the vault answers for a revoked client's token (DESIGN.md §2.3).
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

  it('hides the versions and audit panels while their routes answer 404', async () => {
    const { page, context } = await f.newPage();
    const probes = ['/audit?limit=1', '/versions'].map((p) => page.waitForResponse((r) => r.url().includes(p)));
    await signIn(page, f.baseUrl, await f.client());
    await openBerlin(page);
    for (const probe of probes) expect((await probe).status()).toBe(404);
    await page.getByText('1 vehicle reached with this credential.').waitFor();
    expect(await heading(page, 'Secret versions').count()).toBe(0);
    expect(await heading(page, 'Audit trail of this credential').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Audit trail' }).count()).toBe(0);
    await context.close();
  });

  it('shows versions (with restore) and the audit trail as DESIGN.md §2.8 and §2.6 shape them, once the routes answer', async () => {
    const { page, context } = await f.newPage();
    const event = (seq: number, action: string) => ({
      id: `01J0000000000000000000000${seq}`,
      fleet_id: f.fleetId,
      seq,
      at: `2026-11-23T10:0${seq}:00.000Z`,
      actor: { type: 'client', id: 'C1' },
      action,
      target: { type: 'credential', id: credentialId, brand: 'niu' },
      request_id: `req-${seq}`,
      outcome: 'success',
      details: {},
      prev_hash: 'A'.repeat(43),
      hash: 'h'.repeat(43),
    });
    const json = (body: unknown) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    await page.route('**/audit?**', (route) =>
      route.fulfill(json({ items: [event(2, 'credential.rotated'), event(1, 'credential.created')], next_cursor: null })),
    );
    await page.route('**/versions', (route) =>
      route.fulfill(
        json({
          items: [
            { secret_version: 2, created_at: '2026-11-23T10:02:00.000Z', created_by: 'C1', state: 'current' },
            { secret_version: 1, created_at: '2026-11-23T10:01:00.000Z', created_by: 'C1', state: 'previous' },
          ],
        }),
      ),
    );
    await signIn(page, f.baseUrl, await f.client());
    await openBerlin(page);
    await heading(page, 'Secret versions').waitFor();
    expect(await page.getByRole('button', { name: 'Restore version 1' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Restore version 2' }).count()).toBe(0);
    await heading(page, 'Audit trail of this credential').waitFor();
    const panel = page.locator('section[aria-labelledby="credential-audit-heading"]');
    expect(await panel.locator('tbody td[data-label="Action"]').allTextContents()).toEqual(['credential.rotated', 'credential.created']);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'versions-and-audit');

    await page.getByRole('button', { name: 'Audit trail', exact: true }).click();
    await heading(page, 'Audit trail').waitFor();
    await page.locator('h1:focus').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await context.close();
  });
});

describe('console status column', { timeout: 60_000 }, () => {
  it('draws no status column while the view has no status, and one once it has (DESIGN.md §2.9)', async () => {
    const { page, context } = await f.newPage();
    await signIn(page, f.baseUrl, await f.client());
    await page.getByText(/^Page 1: /).waitFor();
    expect(await page.getByRole('columnheader').allTextContents()).toEqual(['Name', 'Brand', 'Identity', 'Secret version', 'Vehicles']);

    // The exchange's answer shape: status and status_checked_at on each view.
    await page.route('**/credentials?**', async (route) => {
      const real = await route.fetch();
      const body = (await real.json()) as { items: Record<string, unknown>[] };
      for (const item of body.items) Object.assign(item, { status: 'authorized', status_checked_at: '2026-11-23T10:00:00.000Z' });
      await route.fulfill({ response: real, json: body });
    });
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('columnheader', { name: 'Status' }).waitFor();
    expect(await page.locator('td[data-label="Status"]').first().textContent()).toBe('authorized (checked 2026-11-23 10:00:00 UTC)');
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
