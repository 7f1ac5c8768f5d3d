import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../../src/db/project-root.js';

/** Debian's Chromium (apt-get install chromium): the tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless, with everything that would reach the network on its own turned off. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    // A failure, not a skip: CI must not pass without the browser tests (.ci/run installs the package).
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const screenshotDir = path.join(projectRoot(), 'test-results', 'console');

/** Saves the page as test-results/console/<name>.png (the walk's evidence, one file per step). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2.x A and AA rules) on the page and returns its serious and critical
 * violations. axe is evaluated through the DevTools protocol, which the page's CSP does not
 * govern, so the console's own policy stays as strict as in production.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
  const json = await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(tags)} } }).then((r) =>
    JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')) }))))`);
  return (JSON.parse(json as string) as AxeViolation[]).filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
