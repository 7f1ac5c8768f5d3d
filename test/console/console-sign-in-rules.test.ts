import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { claimScopeInTokenAnswer, type ConsoleFixture, operatorScopes, signIn, startConsoleFixture } from '../helpers/console-app.js';

/**
 * The Sign-in rules view against the real routes: rules made through the API and through the form, the API's 422
 * field errors under the form's fields, Delete behind its confirmation, and what a token without clients:manage sees.
 */
let f: ConsoleFixture;

interface Rule {
  id: string;
  claim: string;
  equals: string;
  scopes: string[];
  restrict: { brands?: string[] } | null;
  created_at: string;
}
let hostileRule: Rule;
let plainRule: Rule;

const hostile = '<img src=x onerror="window.pwned=1"> &lt;b&gt;bold&lt;/b&gt;';
const adminScopes = ['credentials:read', 'vehicles:read', 'clients:manage'] as const;
/** As the console shows a time: UTC, to the second. */
const shown = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
const listed = async () => (await f.t.call(f.adminToken, 'GET', '/sign-in-rules')).json().items as Rule[];

async function createRule(body: object): Promise<Rule> {
  const res = await f.t.call(f.adminToken, 'POST', '/sign-in-rules', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

beforeAll(async () => {
  f = await startConsoleFixture();
  plainRule = await createRule({ claim: 'groups', equals: 'fleet-readers', scopes: ['credentials:read', 'vehicles:read'] });
  hostileRule = await createRule({ claim: 'hd', equals: hostile, scopes: ['credentials:read'], restrict: { brands: ['niu'] } });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

const rows = (page: Page) => page.locator('section[aria-labelledby="rules-heading"] table.data tbody tr');
const column = (page: Page, label: string) => rows(page).locator(`[data-label="${label}"]`);

async function openRules(page: Page, count: number) {
  await page.getByRole('button', { name: 'Sign-in rules', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign-in rules', exact: true }).waitFor();
  await page.getByText(`Page 1: ${count} rule${count === 1 ? '' : 's'}, oldest first.`).waitFor();
}

describe('console sign-in rules, with clients:manage', { timeout: 60_000 }, () => {
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ page } = await f.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, f.baseUrl, await f.client([...adminScopes]));
  });

  it('lists the fleet’s rules: claim, value, scopes, restriction and created time, server strings as text', async () => {
    await openRules(page, 2);
    await page.locator('h1:focus').waitFor();
    expect(await column(page, 'Claim').locator('code:not(.pair)').allTextContents()).toEqual(['groups', 'hd']);
    expect(await column(page, 'Equals').allTextContents()).toEqual(['fleet-readers', hostile]);
    expect(await column(page, 'Scopes').allTextContents()).toEqual(['credentials:readvehicles:read', 'credentials:read']);
    expect(await column(page, 'Restriction').allTextContents()).toEqual(['whole fleet', 'brands: niu']);
    expect(await column(page, 'Created').allTextContents()).toEqual([plainRule, hostileRule].map((r) => shown(r.created_at)));
    // The hostile value is text: no element made of it, no handler run.
    expect(await page.evaluate('[document.querySelectorAll("main img, main script").length, window.pwned]')).toEqual([0, undefined]);
    // No token kept anywhere but memory.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    // Only the scopes this token holds can be granted.
    expect(await page.getByRole('checkbox', { name: /clients:manage/ }).isDisabled()).toBe(false);
    expect(await page.getByRole('checkbox', { name: /credentials:write/ }).isDisabled()).toBe(true);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in-rules-list');
  });

  it('creates a rule through the form; the API lists it', async () => {
    await page.getByLabel('Claim', { exact: true }).fill('groups');
    await page.getByLabel('Equals', { exact: true }).fill('fleet-ops');
    await page.getByRole('checkbox', { name: /credentials:read/ }).check();
    await page.getByRole('checkbox', { name: /vehicles:read/ }).check();
    await page.getByLabel(/Restrict to brands/).fill('niu, ');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText('Created the rule groups = fleet-ops.').waitFor();
    await page.getByText('Page 1: 3 rules, oldest first.').waitFor();
    const made = (await listed()).find((r) => r.equals === 'fleet-ops');
    expect(made).toMatchObject({ claim: 'groups', scopes: ['credentials:read', 'vehicles:read'], restrict: { brands: ['niu'] } });
    expect(await column(page, 'Equals').allTextContents()).toEqual(['fleet-readers', hostile, 'fleet-ops']);
    // The form is empty again.
    expect(await page.getByLabel('Claim', { exact: true }).inputValue()).toBe('');
  });

  it('shows the API’s 422 field errors under the field they name', async () => {
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/sign-in-rules' && r.request().method() === 'POST');
    await page.getByLabel('Claim', { exact: true }).fill('bad claim!');
    await page.getByLabel('Equals', { exact: true }).fill('x');
    await page.getByRole('checkbox', { name: /credentials:read/ }).check();
    await page.getByRole('button', { name: 'Create rule' }).click();
    const refused = await answer;
    expect(refused.status()).toBe(422);
    expect((await refused.json()).errors).toEqual([expect.objectContaining({ pointer: '/claim' })]);
    await page.locator('#rule-claim-error').waitFor();
    expect(await page.locator('#rule-claim-error').textContent()).toBe((await refused.json()).errors[0].detail);
    await page.locator('#rule-claim:focus').waitFor();
    expect(await page.getByLabel('Claim', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').textContent()).toMatch(/^Not created: .* Each problem is shown under its field\.$/);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in-rules-422-claim');

    // No scope at all.
    await page.getByLabel('Claim', { exact: true }).fill('groups');
    await page.getByRole('checkbox', { name: /credentials:read/ }).uncheck();
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('#rule-scopes-error').waitFor();
    expect(await page.locator('#rule-claim-error').count()).toBe(0);
    await page.locator('#rule-scopes:focus').waitFor();

    // An unknown brand (`/restrict/brands/0`) is shown under the restriction.
    await page.getByRole('checkbox', { name: /credentials:read/ }).check();
    await page.getByLabel(/Restrict to brands/).fill('no-such-brand');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.locator('#rule-restrict-error').getByText('is not a known brand (see GET /brands)').waitFor();
    expect((await listed()).length).toBe(3);
  });

  it('deletes a rule behind a confirmation that says its people’s tokens stop within 5 s', async () => {
    await page.getByRole('button', { name: `Delete rule ${hostileRule.id}` }).click();
    const confirm = page.locator('#rule-confirm-text');
    await confirm.waitFor();
    expect(await confirm.textContent()).toBe(
      `Delete the rule hd = ${hostile}? The people who signed in through it lose what it granted: ` +
        'their tokens are refused within 5 seconds, on every replica.',
    );
    // The confirm button takes focus in an effect after the confirmation renders (sign-in-rules-panel.tsx): wait for
    // it, as a keyboard user's Enter would; read at once, the Delete button that opened it can still hold focus.
    await page.locator('button:focus', { hasText: 'Yes, delete the rule' }).waitFor();
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Yes, delete the rule');
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await confirm.count()).toBe(0);
    expect((await listed()).length).toBe(3);

    await page.getByRole('button', { name: `Delete rule ${hostileRule.id}` }).click();
    await page.getByRole('button', { name: 'Yes, delete the rule' }).click();
    await page.getByText(`Deleted the rule hd = ${hostile}.`).waitFor();
    await page.getByText('Page 1: 2 rules, oldest first.').waitFor();
    expect((await listed()).map((r) => r.id)).not.toContain(hostileRule.id);
    expect(await column(page, 'Equals').allTextContents()).toEqual(['fleet-readers', 'fleet-ops']);
    expect(await page.evaluate('[document.querySelectorAll("main img, main script").length, window.pwned]')).toEqual([0, undefined]);
    expect(pageErrors).toEqual([]);
  });

  it('is readable at 390x844', async () => {
    const { page: phone, context } = await f.newPage({ width: 390, height: 844 });
    await signIn(phone, f.baseUrl, await f.client([...adminScopes]));
    await openRules(phone, 2);
    expect(await seriousA11yViolations(phone)).toEqual([]);
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(phone, 'mobile-sign-in-rules');
    await context.close();
  });
});

describe('console sign-in rules, without clients:manage', { timeout: 60_000 }, () => {
  it('offers no Sign-in rules view and never asks for /sign-in-rules', async () => {
    const { page, context } = await f.newPage();
    const asked: string[] = [];
    page.on('request', (r) => void (new URL(r.url()).pathname.startsWith('/sign-in-rules') && asked.push(r.url())));
    await signIn(page, f.baseUrl, await f.client(operatorScopes));
    await page.getByRole('button', { name: 'Audit trail' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign-in rules' }).count()).toBe(0);
    expect(asked).toEqual([]);
    await context.close();
  });

  it('renders the vault’s 403 as a problem if the view is reached anyway', async () => {
    const { page, context } = await f.newPage();
    await claimScopeInTokenAnswer(page, 'clients:manage');
    await signIn(page, f.baseUrl, await f.client(operatorScopes));
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/sign-in-rules');
    await page.getByRole('button', { name: 'Sign-in rules', exact: true }).click();
    const refused = await answer;
    expect(refused.status()).toBe(403);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('p').allTextContents()).toEqual([
      'Could not list the sign-in rules. This route needs the scope clients:manage.',
      'Sign-in rules need the scope clients:manage: sign in with a client that holds it.',
      `Request id: ${(await refused.json()).request_id}`,
    ]);
    await context.close();
  });
});
