import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';

const run = promisify(execFile);

/** Debian's Chromium: the browser the web app is tested in. */
export const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

/** Where the browser test leaves its screenshots (git-ignored). */
export const TEST_OUTPUT = join(import.meta.dirname, 'test-output');

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Chromium, installed with apt when it is missing and we may (root); otherwise an error naming the
 * command to run. Never a skip: a browser test that does not run proves nothing.
 */
export async function ensureChromium(): Promise<string> {
  if (await exists(CHROMIUM)) return CHROMIUM;
  const root = process.getuid?.() === 0;
  if (root && (await exists('/usr/bin/apt-get'))) {
    process.stderr.write(`# ${CHROMIUM} is missing: running ${INSTALL}\n`);
    await run('sh', ['-c', INSTALL], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
    if (await exists(CHROMIUM)) return CHROMIUM;
  }
  throw new Error(
    `the browser test needs Chromium at ${CHROMIUM}: install it with \`sudo sh -c '${INSTALL}'\``,
  );
}

/** A headless Chromium closed when the test ends. */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  const executablePath = await ensureChromium();
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  return browser;
}

/** Saves a full-page screenshot under {@link TEST_OUTPUT}; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(TEST_OUTPUT, { recursive: true });
  const path = join(TEST_OUTPUT, `${name}.png`);
  // Let animations (new items' highlight) settle so the picture shows the steady state.
  await page.waitForTimeout(450);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The texts of every element a selector matches, trimmed. */
export async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allTextContents()).map((text) => text.trim());
}

/** Signs in as a shopper through the sign-in form and waits for the live stream to connect. */
export async function signInAsShopper(page: Page, url: string, userId: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('User id').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid=signed-in-as]', { hasText: userId }).waitFor();
  await page.locator('[data-testid=live-state]', { hasText: 'Live' }).waitFor();
}
