import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshot, seriousA11yViolations } from '../helpers/browser.js';
import { claimScopeInTokenAnswer, type ConsoleFixture, operatorScopes, signIn, startConsoleFixture } from '../helpers/console-app.js';
import { type Receiver, startReceiver, until } from '../helpers/webhook-receiver.js';

/**
 * The Webhooks view against the real routes and dispatcher: subscriptions made through the API to a loopback receiver
 * (admitted by FLEETVAULT_WEBHOOK_ALLOW_HOSTS, as in test/webhooks/), deliveries sent by ticking the dispatcher, and
 * what a token without webhooks:manage sees.
 */
let f: ConsoleFixture;
let receiver: Receiver;
/** What the receiver answers at /hook (at /dead it is always 503). */
let hookStatus = 500;
/** Added to the vault's clock: lets one dispatcher tick happen five days later, to see the vault disable a webhook. */
let shiftMs = 0;
let names = 0;

interface Hook {
  id: string;
  url: string;
  events: string[];
  created_at: string;
}
let dead: Hook;
let hook: Hook;
let paused: Hook;
/** The credential whose creation made the connector's first delivery. */
let credentialId: string;

const hostile = '<img src=x onerror="window.pwned=1"> &lt;b&gt;bold&lt;/b&gt;';
const deliver = () => f.t.deps.webhookDispatcher.tick().then(() => f.t.deps.webhookDispatcher.settle());
const deliveriesOf = async (id: string) =>
  (await f.t.call(f.adminToken, 'GET', `/webhooks/${id}/deliveries`)).json().items as { event_id: string; state: string }[];
/** As the console shows a time: UTC, to the second. */
const shown = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');

async function subscribe(body: object): Promise<Hook> {
  const res = await f.t.call(f.adminToken, 'POST', '/webhooks', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function newCredential(): Promise<string> {
  const n = names++;
  const res = await f.t.call(f.adminToken, 'POST', '/niu/credentials', { name: `NIU ${n}`, client_id: `c-${n}`, client_secret: `s-${n}` });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.answer((r, res) => res.writeHead(r.path === '/hook' ? hookStatus : 503).end());
  f = await startConsoleFixture({
    env: {
      FLEETVAULT_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
      FLEETVAULT_WEBHOOK_RETRY_SCHEDULE: '0',
      FLEETVAULT_WEBHOOK_TIMEOUT_MS: '1000',
    },
    clock: { now: () => new Date(Date.now() + shiftMs) },
  });

  // An endpoint that has failed for five days: the dispatcher disables it and says why.
  dead = await subscribe({ url: receiver.url('/dead'), events: ['credential.created'], description: 'Old connector' });
  await newCredential();
  await deliver();
  shiftMs = 5 * 24 * 3600 * 1000 + 60_000;
  try {
    await deliver();
  } finally {
    shiftMs = 0;
  }
  const read = (await f.t.call(f.adminToken, 'GET', `/webhooks/${dead.id}`)).json();
  expect(read).toMatchObject({ enabled: false, disabled_reason: 'every delivery failed for 5 days' });

  // The connector under test, whose first delivery fails; and one paused by hand, whose URL and description are hostile.
  hook = await subscribe({ url: receiver.url('/hook'), events: ['credential.created', 'credential.rotated'], description: null });
  paused = await subscribe({ url: receiver.url('/paused/<script>alert(1)</script>?q="x"'), events: ['*'], description: hostile });
  expect((await f.t.call(f.adminToken, 'PATCH', `/webhooks/${paused.id}`, { enabled: false })).statusCode).toBe(200);
  credentialId = await newCredential();
  await until(async () => (await deliveriesOf(hook.id))[0]?.state === 'failed', deliver);
}, 60_000);

afterAll(async () => {
  await f?.close();
  await receiver?.close();
});

const heading = (page: Page, name: string) => page.getByRole('heading', { name, exact: true });
const rows = (page: Page, section: string) => page.locator(`section[aria-labelledby="${section}"] table.data tbody tr`);
const cells = (page: Page, label: string) => rows(page, 'deliveries-heading').locator(`td[data-label="${label}"]`);

async function openWebhooks(page: Page) {
  await page.getByRole('button', { name: 'Webhooks', exact: true }).click();
  await heading(page, 'Webhooks').waitFor();
  await page.getByText('Page 1: 3 webhooks, oldest first. Choose one to see its deliveries.').waitFor();
}

async function openDeliveries(page: Page) {
  await page.getByRole('button', { name: hook.url, exact: true }).click();
  await heading(page, 'Recent deliveries').waitFor();
  await rows(page, 'deliveries-heading').first().waitFor();
}

describe('console webhooks, with webhooks:manage', { timeout: 60_000 }, () => {
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ page } = await f.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, f.baseUrl, await f.client(['credentials:read', 'webhooks:manage']));
  });

  it('lists the fleet’s webhooks: URL, events, description, state with the vault’s reason, created time', async () => {
    await openWebhooks(page);
    await page.locator('h1:focus').waitFor();
    const list = rows(page, 'webhooks-heading');
    expect(await list.locator('th button').allTextContents()).toEqual([dead.url, hook.url, paused.url]);
    expect(await list.nth(1).locator('td[data-label="Events"] code').allTextContents()).toEqual([
      'credential.created',
      'credential.rotated',
    ]);
    expect(await list.locator('td[data-label="Events"]').allTextContents()).toEqual([
      'credential.created',
      'credential.createdcredential.rotated',
      'all events',
    ]);
    expect(await list.locator('td[data-label="State"]').allTextContents()).toEqual([
      'disabled by the vault: every delivery failed for 5 days',
      'enabled',
      'disabled',
    ]);
    expect(await list.locator('td[data-label="Created"]').allTextContents()).toEqual([dead, hook, paused].map((h) => shown(h.created_at)));
    expect(await list.locator('td[data-label="Description"]').allTextContents()).toEqual(['Old connector', '—', hostile]);
    // The hostile strings are text: no element made of them, no handler run.
    expect(paused.url).toContain('/paused/');
    expect(await page.evaluate('[document.querySelectorAll("main img, main script").length, window.pwned]')).toEqual([0, undefined]);
    // No token or secret kept anywhere but memory.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length, document.cookie]')).toEqual([0, 0, '']);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'webhooks-list');
  });

  it('shows a failed delivery’s failure, and Retry makes a new attempt that succeeds', async () => {
    await openDeliveries(page);
    await page.locator('h2:focus').waitFor();
    const [failed] = await deliveriesOf(hook.id);
    expect(await rows(page, 'deliveries-heading').locator('th').allTextContents()).toEqual([failed!.event_id]);
    const row = async () =>
      Promise.all(
        ['Action', 'State', 'Attempts', 'Last status', 'Last error', 'Next attempt', 'Delivered'].map((l) => cells(page, l).textContent()),
      );
    expect(await row()).toEqual(['credential.created', 'failed', '2', '500', 'HTTP 500', '—', '—']);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'webhook-delivery-failed');

    hookStatus = 204;
    receiver.received.length = 0;
    await page.getByRole('button', { name: `Retry event ${failed!.event_id}` }).click();
    await page
      .getByText(new RegExp(`^Event ${failed!.event_id} is pending again, due .* UTC: Refresh to see the new attempt\\.$`))
      .waitFor();
    await cells(page, 'State').getByText('pending').waitFor();
    expect(await row()).toEqual(['credential.created', 'pending', '0', '500', 'HTTP 500', expect.stringMatching(/ UTC$/), '—']);

    // The vault's dispatcher sends it (a bounded wait), then the console reads it again.
    await until(async () => (await deliveriesOf(hook.id))[0]?.state === 'succeeded', deliver);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([failed!.event_id]);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await cells(page, 'State').getByText('succeeded').waitFor();
    expect(await row()).toEqual(['credential.created', 'succeeded', '1', '204', '—', '—', expect.stringMatching(/ UTC$/)]);
    expect(await page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    await screenshot(page, 'webhook-delivery-retried');
  });

  it('explains a 409 when the delivery was retried elsewhere first, and shows its state now', async () => {
    hookStatus = 500;
    expect((await f.t.call(f.adminToken, 'PATCH', `/niu/credentials/${credentialId}`, { client_secret: 'new' })).statusCode).toBe(200);
    await until(async () => (await deliveriesOf(hook.id))[0]?.state === 'failed', deliver);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await cells(page, 'State').getByText('failed').waitFor();
    expect(await cells(page, 'Action').allTextContents()).toEqual(['credential.rotated', 'credential.created']);

    // Someone retries it through the API behind the console's back.
    const [latest] = (await f.t.call(f.adminToken, 'GET', `/webhooks/${hook.id}/deliveries?state=failed`)).json().items;
    expect((await f.t.call(f.adminToken, 'POST', `/webhooks/${hook.id}/deliveries/${latest.id}/retry`)).statusCode).toBe(200);
    await page.getByRole('button', { name: `Retry event ${latest.event_id}` }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('p').first().textContent()).toBe(
      `Could not retry the delivery of event ${latest.event_id}. Only a failed delivery can be retried; this one is pending.`,
    );
    await cells(page, 'State').first().getByText('pending').waitFor();
    expect(await page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    await screenshot(page, 'webhook-retry-409');
  });

  it('pages through the deliveries with the API’s cursor and filters them by state', async () => {
    for (let i = 0; i < 20; i++) await newCredential();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('Newest first, page 1.').waitFor();
    await expect.poll(() => rows(page, 'deliveries-heading').count()).toBe(20);
    await page.getByRole('button', { name: 'Older deliveries' }).click();
    await page.getByText('Newest first, page 2.').waitFor();
    expect(await cells(page, 'Action').allTextContents()).toEqual(['credential.rotated', 'credential.created']);
    expect(await page.getByRole('button', { name: 'Older deliveries' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Newer deliveries' }).click();
    await page.getByText('Newest first, page 1.').waitFor();

    await page.getByLabel('State').selectOption('succeeded');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => cells(page, 'State').allTextContents()).toEqual(['succeeded']);
    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No deliveries.').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('is readable at 390x844', async () => {
    const { page: phone, context } = await f.newPage({ width: 390, height: 844 });
    await signIn(phone, f.baseUrl, await f.client(['credentials:read', 'webhooks:manage']));
    await openWebhooks(phone);
    await openDeliveries(phone);
    expect(await seriousA11yViolations(phone)).toEqual([]);
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(phone, 'mobile-webhooks');
    await context.close();
  });
});

describe('console webhooks, without webhooks:manage', { timeout: 60_000 }, () => {
  it('offers no Webhooks view and never asks for /webhooks', async () => {
    const { page, context } = await f.newPage();
    const asked: string[] = [];
    page.on('request', (r) => void (new URL(r.url()).pathname.startsWith('/webhooks') && asked.push(r.url())));
    await signIn(page, f.baseUrl, await f.client(operatorScopes));
    await page.getByRole('button', { name: 'Audit trail' }).waitFor();
    expect(await page.getByRole('button', { name: 'Webhooks' }).count()).toBe(0);
    expect(asked).toEqual([]);
    await context.close();
  });

  it('renders the vault’s 403 as a problem if the view is reached anyway', async () => {
    const { page, context } = await f.newPage();
    await claimScopeInTokenAnswer(page, 'webhooks:manage');
    await signIn(page, f.baseUrl, await f.client(operatorScopes));
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/webhooks');
    await page.getByRole('button', { name: 'Webhooks', exact: true }).click();
    const refused = await answer;
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ type: '/problems/insufficient-scope', status: 403 });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('p').allTextContents()).toEqual([
      'Could not list the webhooks. This route needs the scope webhooks:manage.',
      'Webhooks need the scope webhooks:manage: sign in with a client that holds it.',
      `Request id: ${(await refused.json()).request_id}`,
    ]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await screenshot(page, 'webhooks-403');
    await context.close();
  });
});
