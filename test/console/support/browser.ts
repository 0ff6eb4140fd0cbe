import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download: `executablePath`). Each
 * `launch()` gets a fresh temporary profile (Playwright creates and removes the user-data-dir);
 * each signed-in user is a separate browser context, so tokens in sessionStorage never mix.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(__dirname, '..', 'artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What a page did that it must not: dialogs (alert/confirm from injected script), requests off the origin, CSP violations, script errors. */
export interface PageWatch {
  dialogs: string[];
  foreignRequests: string[];
  cspViolations: string[];
  pageErrors: string[];
  loads: number;
}

export interface ConsoleUser {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
}

export async function openConsole(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 900 }): Promise<ConsoleUser> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  const watch: PageWatch = { dialogs: [], foreignRequests: [], cspViolations: [], pageErrors: [], loads: 0 };
  page.on('dialog', (d) => {
    watch.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(baseUrl) && !url.startsWith('data:') && !url.startsWith('blob:')) watch.foreignRequests.push(url);
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) watch.cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => watch.pageErrors.push(e.message));
  page.on('load', () => (watch.loads += 1));
  return { context, page, watch };
}

export async function signIn(user: ConsoleUser, token: string, expectedSubject: string): Promise<void> {
  const { page } = user;
  await page.goto('/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').filter({ hasText: expectedSubject }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
