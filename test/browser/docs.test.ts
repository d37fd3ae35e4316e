// /docs in a real browser: it renders, searches, copies examples, and loads nothing from outside.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { launchChromium } from './chromium.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-docs-'));
let system: RunningSystem;
let browser: Browser;

beforeAll(async () => {
  system = await startSystem({ port: await freePort(), stateDir });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('/docs API reference', () => {
  it('renders every area, searches, copies a curl example, and requests only our own origin', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.url });
    const page = await context.newPage();
    const origins = new Set<string>();
    const failed: string[] = [];
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${system.url}/docs`);

    // the reference renders after it fetched /openapi.json: wait for each area to appear
    for (const area of ['System', 'Auth', 'Account', 'Clients', 'Messages', 'Chats', 'Groups', 'Webhooks', 'Devices', 'Admin']) {
      await page
        .getByRole('button', { name: new RegExp(`^${area}`) })
        .first()
        .waitFor({ timeout: 15_000 });
    }

    await page.locator('button', { hasText: 'Open Search' }).first().click();
    await page.keyboard.type('reset');
    const hit = page.getByText('/api/reset-api-key').first();
    await hit.waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');

    await page
      .getByRole('button', { name: /^Clients/ })
      .first()
      .click();
    await page.getByText('Add a WhatsApp client phone number').first().click();
    const copy = page.locator('button', { hasText: 'cURL' }).filter({ hasText: 'Copy' }).first();
    await copy.waitFor({ state: 'attached' });
    await copy.click({ force: true });
    const copied = await page.evaluate(() => (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText());
    expect(copied).toContain('/api/add-number');
    expect(copied).toContain('x-api-key');

    expect([...origins]).toEqual([system.url]);
    expect(failed).toEqual([]);
    await context.close();
  });
});
