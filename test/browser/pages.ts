// Browser tests of the dashboard and the chat page: the whole system (`npm start`'s startSystem, sandbox
// transport) on a free port, Debian's Chromium, and helpers to sign in, watch for console errors and
// requests to other origins, and write screenshots for review (SCREENSHOT_DIR, default .tmp/screenshots).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort, ROOT, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { launchChromium } from './chromium.ts';

export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? join(ROOT, '.tmp/screenshots');
export const PHONE = { width: 360, height: 740 };
export const LAPTOP = { width: 1366, height: 860 };

export interface PagesHarness {
  system: RunningSystem;
  browser: Browser;
  /** a signed-in page (the admin unless another login is given), tracking console errors and foreign requests */
  open(opts?: { viewport?: { width: number; height: number }; username?: string; password?: string; path?: string }): Promise<Opened>;
  /** an API call with the admin key */
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export interface Opened {
  page: Page;
  context: BrowserContext;
  /** script errors (console.error, uncaught) and requests to other origins seen so far */
  problems(): string[];
  /** requests answered 4xx/5xx so far, as `status METHOD path` */
  failed(): string[];
  shot(name: string): Promise<string>;
}

export async function startPages(): Promise<PagesHarness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-pages-'));
  // the tests call the API with the admin key from 127.0.0.1 far more often than the `api` rule's 100 per 15 min
  // (a test that needs other limits sets RATE_LIMITS itself)
  const env = { ...process.env, RATE_LIMITS: process.env.RATE_LIMITS ?? JSON.stringify({ api: { limit: 10_000, windowSec: 900 } }) };
  const system = await startSystem({ port: await freePort(), stateDir, env });
  const browser = await launchChromium();
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const admin = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${system.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'x-api-key': system.admin.apiKey!, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, json };
  };
  return {
    system,
    browser,
    admin,
    async open(opts = {}) {
      const context = await browser.newContext({ viewport: opts.viewport ?? LAPTOP });
      const page = await context.newPage();
      const problems: string[] = [];
      const failed: string[] = [];
      page.on('console', (m) => {
        // the browser's own line for a 4xx answer is counted by `failed` (some are expected: a wrong password)
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        const origin = new URL(r.url()).origin;
        if (origin !== system.url && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) problems.push(`foreign request: ${r.url()}`);
      });
      await page.goto(`${system.url}/`);
      await page.getByLabel('Username').fill(opts.username ?? system.admin.username);
      await page.getByLabel('Password').fill(opts.password ?? system.admin.password!);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      if (opts.path) await page.goto(`${system.url}${opts.path}`);
      return {
        page,
        context,
        problems: () => [...problems],
        failed: () => [...failed],
        shot: async (name) => {
          const file = join(SCREENSHOT_DIR, `${name}.png`);
          await page.screenshot({ path: file, fullPage: true });
          return file;
        },
      };
    },
    async close() {
      await browser.close();
      await system.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Whether the page scrolls sideways (it must not, at 360 px either). */
export const overflowsSideways = (page: Page) =>
  page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth > root.clientWidth + 1;
  });
