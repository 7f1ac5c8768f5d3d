import { generateKeyPairSync } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { type ConsoleFixture, signIn, startConsoleFixture } from '../helpers/console-app.js';
import { niuExample } from '../helpers/test-app.js';

/** Usable by a person: every action by keyboard alone, and each screen readable on a phone (390x844). */
let f: ConsoleFixture;

beforeAll(async () => {
  f = await startConsoleFixture();
  expect((await f.t.call(f.adminToken, 'POST', '/niu/credentials', niuExample)).statusCode).toBe(201);
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const focused = (page: Page, selector: string) => page.locator(`${selector}:focus`).waitFor();

async function expectReadable(page: Page, screen: string) {
  expect(await seriousA11yViolations(page), `axe on ${screen}`).toEqual([]);
  // Nothing wider than the screen: no sideways scrolling to read a row.
  expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), `${screen} fits 390 px`).toBe(true);
  await screenshot(page, `mobile-${screen}`);
}

describe('console usability', { timeout: 60_000 }, () => {
  it('is readable at 390x844, each screen passing axe', async () => {
    const { page, context } = await f.newPage({ width: 390, height: 844 });
    await page.goto(`${f.baseUrl}/console`);
    await page.getByRole('heading', { name: 'Sign in to fleetvault' }).waitFor();
    await expectReadable(page, 'sign-in');
    await signIn(page, f.baseUrl, await f.client());
    await page.getByText('Page 1: 1 credential, sorted by name.').waitFor();
    await expectReadable(page, 'list');
    await page.getByRole('button', { name: 'NIU fleet Berlin' }).click();
    await page.getByText('No vehicle uses this credential.').waitFor();
    await expectReadable(page, 'detail');
    await page.getByRole('button', { name: '← All credentials' }).click();
    await page.getByRole('button', { name: 'New credential' }).click();
    await page.getByRole('button', { name: 'Create credential' }).click();
    await page.locator('#create-client_id-error').waitFor();
    await expectReadable(page, 'create-errors');
    await context.close();
  });

  it('does the whole walk with the keyboard alone', async () => {
    const { page, context } = await f.newPage();
    const client = await f.client();
    await page.goto(`${f.baseUrl}/console`);
    await focused(page, 'h1');
    await page.keyboard.press('Tab');
    await focused(page, '#client-id');
    await page.keyboard.type(client.clientId);
    await page.keyboard.press('Tab');
    await page.keyboard.type(client.clientSecret);
    await page.keyboard.press('Enter');

    // Each new screen puts focus on its heading; Tab goes on from there.
    await page.getByRole('heading', { name: 'Credentials' }).waitFor();
    await focused(page, 'h1');
    await page.keyboard.press('Tab');
    await focused(page, 'button.primary');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New credential' }).waitFor();
    // The heading takes focus in an effect after it renders: Tab only once it has it, or Tab starts from the page.
    await focused(page, 'h1');
    await page.keyboard.press('Tab');
    await focused(page, '#create-brand');
    for (const value of ['Keyboard fleet', 'kb-client', 'kb-secret']) {
      await page.keyboard.press('Tab');
      await page.keyboard.type(value);
    }
    await page.keyboard.press('Enter');
    await page.getByText('Created Keyboard fleet.').waitFor();
    await focused(page, 'h1');
    // The heading has focus from the moment the screen mounts, the form only once the credential has loaded:
    // Tab before that would leave the heading for whatever follows it then.
    await page.locator('#rotate-client_secret').waitFor();

    await page.keyboard.press('Tab');
    await focused(page, '#rotate-client_secret');
    await page.keyboard.type('kb-secret-2');
    await page.keyboard.press('Enter');
    await page.getByText('Secret rotated: version 2 is now current.').waitFor();
    await focused(page, '#rotate-client_secret');

    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.locator('button:focus', { hasText: 'Delete this credential…' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('button:focus', { hasText: 'Yes, delete it' }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByText('Deleted Keyboard fleet.').waitFor();
    await focused(page, 'h1');

    await page.keyboard.press('Shift+Tab');
    await page.locator('button:focus', { hasText: 'Sign out' }).waitFor();
    await page.keyboard.press('Enter');
    await page.getByText('You signed out.').waitFor();
    expect((await f.t.call(f.adminToken, 'GET', '/credentials?q=keyboard')).json().items).toEqual([]);
    await context.close();
  });

  it('reads a PEM key from a file for a masked multi-line secret (Tesla private_key)', async () => {
    const { page, context } = await f.newPage();
    await signIn(page, f.baseUrl, await f.client());
    await page.getByRole('button', { name: 'New credential' }).click();
    await page.getByLabel('Brand', { exact: true }).selectOption('tesla');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(await page.locator('#create-private_key').getAttribute('type')).toBe('file');
    await page.locator('#create-name').fill('Tesla EU');
    await page.locator('#create-client_id').fill('tesla-app');
    await page.locator('#create-region').fill('eu');
    await page.locator('#create-client_secret').fill('tesla-secret');
    await page
      .locator('#create-private_key')
      .setInputFiles({ name: 'fleet-key.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pem) });
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/tesla/credentials'));
    await page.getByRole('button', { name: 'Create credential' }).click();
    // Sent byte for byte, newlines included (a masked <input> would have stripped them).
    expect(JSON.parse((await posted).postData()!).private_key).toBe(pem);
    await page.getByText('Created Tesla EU.').waitFor();
    expect(await page.content()).not.toContain('PRIVATE KEY');
    await context.close();
  });
});
