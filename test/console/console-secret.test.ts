import type { AddressInfo } from 'node:net';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * The secret typed into the create form leaves the browser once, in the POST body, and is then
 * nowhere: not in the page (markup, input values, title), not in any response the page received
 * after the create (bodies or headers), not in storage, and not in the page's JavaScript heap.
 */
let t: TestApp;
let browser: Browser;
let page: Page;
const responses: Response[] = [];
const secret = niuExample.client_secret;

beforeAll(async () => {
  t = await buildTestApp();
  const fleet = await t.newFleet();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/console`);
  await page.getByLabel('Client id').fill(fleet.clientId);
  await page.getByLabel('Client secret').fill(fleet.clientSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'New credential' }).click();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Everything the page shows or holds in the DOM, input values included (they are not in the markup). */
async function pageText(): Promise<string> {
  const values = await page.evaluate(`JSON.stringify([...document.querySelectorAll('input, textarea, select')].map((e) => e.value))`);
  const storage = await page.evaluate(`JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])`);
  return `${await page.content()}\n${values as string}\n${storage as string}\n${await page.title()}`;
}

/** A V8 heap snapshot of the page after a full garbage collection, through the DevTools protocol. */
async function heapSnapshot(): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}

describe('the typed secret after create', { timeout: 60_000 }, () => {
  it('leaves in the POST body and appears nowhere afterwards', async () => {
    await page.getByLabel('name').fill(niuExample.name);
    await page.getByLabel('client_id').fill(niuExample.client_id);
    await page.getByLabel('client_secret').fill(secret);
    // While typed it is in the input (masked) and the form's state: the checks below see it when it is there.
    expect(await pageText()).toContain(secret);
    expect(await heapSnapshot()).toContain(secret);

    page.on('response', (r) => responses.push(r));
    const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/niu/credentials'));
    await page.getByRole('button', { name: 'Create credential' }).click();
    expect(JSON.parse((await posted).postData()!)).toEqual(niuExample);
    await page.getByText('Created NIU fleet Berlin.').waitFor();
    // The detail screen has loaded everything it asks for (vehicles, versions, audit trail) before the check.
    await page.getByText('No vehicle uses this credential.').waitFor();
    await page.locator('section[aria-labelledby="versions-heading"] tbody tr').first().waitFor();
    await page.locator('section[aria-labelledby="credential-audit-heading"] td[data-label="Action"]').first().waitFor();
    await screenshot(page, 'secret-after-create');

    expect(responses.length).toBeGreaterThanOrEqual(3);
    for (const response of responses) {
      const text = `${JSON.stringify(await response.allHeaders())}\n${(await response.body()).toString('utf8')}`;
      expect(text, response.url()).not.toContain(secret);
    }
    expect(await pageText()).not.toContain(secret);
    expect(await heapSnapshot()).not.toContain(secret);
  });
});
