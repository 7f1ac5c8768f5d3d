import { cliContext } from '../../src/core/context.js';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Scope } from '../../src/core/scopes.js';
import { launchChromium } from './browser.js';
import { buildTestApp, type TestApp, type TestAppOptions } from './test-app.js';

/** A listening test app, a fleet with an admin token, and Chromium: what each console test file starts from. */
export interface ConsoleFixture {
  t: TestApp;
  baseUrl: string;
  browser: Browser;
  fleetId: string;
  adminToken: string;
  /** A secret client of the fleet with these scopes (default: an operator's, see `operatorScopes`), to sign in as. */
  client(scopes?: Scope[]): Promise<{ clientId: string; clientSecret: string }>;
  /** A fresh browser context (no state shared between tests) and its page. */
  newPage(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/**
 * What a console operator is given: everything the console offers. A client created without scopes
 * gets read-only ones (least privilege), so the tests name them.
 */
export const operatorScopes: Scope[] = ['credentials:read', 'credentials:write', 'vehicles:read', 'vehicles:write', 'audit:read'];

/** `options` go to the test app (e.g. the brand exchange's fetch). */
export async function startConsoleFixture(options: TestAppOptions = {}): Promise<ConsoleFixture> {
  const t = await buildTestApp(options);
  const fleet = await t.newFleet();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  let clients = 0;
  return {
    t,
    baseUrl: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
    browser,
    fleetId: fleet.fleetId,
    adminToken: fleet.token,
    async client(scopes = operatorScopes) {
      const c = await t.deps.services.clients.createSecretClient(cliContext(fleet.fleetId), `console user ${++clients}`, scopes);
      return { clientId: c.client_id, clientSecret: c.client_secret };
    },
    async newPage(viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      // Generous: CI runs the browser beside both engines' suites on two cores.
      page.setDefaultTimeout(20_000);
      return { context, page };
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** Signs in through the form and waits for the credential list. */
export async function signIn(page: Page, baseUrl: string, client: { clientId: string; clientSecret: string }): Promise<void> {
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel('Client id').fill(client.clientId);
  await page.getByLabel('Client secret').fill(client.clientSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Credentials', exact: true }).waitFor();
}

/**
 * Makes the console believe its token holds `scope` although the vault never granted it: the token answer the page
 * sees names the scope, the token itself does not. Reaches a view the console hides, to see how it shows the vault's 403.
 */
export async function claimScopeInTokenAnswer(page: Page, scope: Scope): Promise<void> {
  await page.route('**/oauth/token', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { scope: string };
    await route.fulfill({ response, json: { ...body, scope: `${body.scope} ${scope}` } });
  });
}
