// The dashboard's Devices, Logs, Usage and Account pages in a real browser against the whole system:
// a device registered in the page posts to /gateway/android with the secret shown once, its events are
// listed by type, its secret rotates and its webhook is saved; a failed login shows as a security event;
// usage is drawn as a chart; the account key is revealed and reset, and an admin creates a user who then
// signs in. Every page is checked at 360 px for sideways scrolling, and screenshots are written.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAPTOP, overflowsSideways, PHONE, type PagesHarness, startPages } from './pages.ts';

let h: PagesHarness;

beforeAll(async () => {
  h = await startPages();
});

afterAll(async () => {
  await h?.close();
});

/** A dashboard card: the <section> whose heading is `title`. */
const section = (page: Page, title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });

const nowSec = () => Math.floor(Date.now() / 1000);
const today = () => new Date().toISOString().slice(0, 10);

/** What the phone app posts: the secret in the body, or in the x-device-secret header. */
async function postFromPhone(payload: Record<string, unknown>, header?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${h.system.url}/gateway/android`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header ? { 'x-device-secret': header } : {}) },
    body: JSON.stringify(payload),
  });
  return { status: res.status, json: await res.json() };
}

const sms = (id: number, message: string, secret?: string) => ({
  type: 'sms',
  data: { id, rid: 10_000 + id, sim: 1, device: 'android-1', phone: '+639760713666', message, timestamp: nowSec() },
  ...(secret ? { secret } : {}),
});

async function withKey(path: string, apiKey: string) {
  const res = await fetch(`${h.system.url}${path}`, { headers: { 'x-api-key': apiKey } });
  return { status: res.status, json: (await res.json()) as any };
}

/** The page at 360 px: nothing scrolls sideways; a screenshot for review. */
async function checkPhone(path: string, ready: (page: Page) => Promise<unknown>, shot: string) {
  const o = await h.open({ viewport: PHONE, path });
  await ready(o.page);
  expect(await overflowsSideways(o.page), `${path} scrolls sideways at 360 px`).toBe(false);
  await o.shot(shot);
  expect(o.problems()).toEqual([]);
  await o.context.close();
}

describe('dashboard: devices, logs, usage, account', () => {
  it('Devices: registers a device, shows its secret once, lists its events by type, rotates the secret, saves a webhook', async () => {
    const o = await h.open({ viewport: LAPTOP, path: '/#/devices' });
    const { page } = o;
    await page.getByText('No devices yet').waitFor();

    await page.getByLabel('Device name').fill('Office phone');
    await page.getByRole('button', { name: 'Register device' }).click();
    const setup = page.getByRole('region', { name: 'Set up Office phone' });
    await setup.waitFor();
    const secret = (await setup.locator('.dev-secret').textContent())!;
    expect(secret).toMatch(/^sbd_[0-9a-f]{16}_[0-9a-f]{40}$/);
    expect(await setup.locator('.dev-url').textContent()).toBe(`${h.system.url}/gateway/android`);
    const body = JSON.parse((await setup.locator('pre').textContent())!);
    expect(body).toMatchObject({ type: 'sms', data: { phone: '+639760713666' }, secret });
    await setup.getByRole('button', { name: 'In a header (curl)' }).click();
    const curl = (await setup.locator('pre').textContent())!;
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('devices-secret');
    expect(curl).toContain(`x-device-secret: ${secret}`);
    expect(curl).toContain(`${h.system.url}/gateway/android`);

    // the secret works: the example exactly as shown (secret in the body), and a USSD response with the header
    const posted = await postFromPhone(body);
    expect(posted).toMatchObject({ status: 200, json: { success: true, event: 'sms_received', duplicate: false } });
    const ussd = await postFromPhone(
      { type: 'ussd', data: { id: 98, sim: 1, device: 'android-1', code: '*143#', response: 'Your balance is 10', timestamp: nowSec() } },
      secret,
    );
    expect(ussd).toMatchObject({ status: 200, json: { event: 'ussd_response' } });

    const events = page.getByRole('list', { name: 'Events of Office phone' });
    await page.getByRole('button', { name: 'SMS', exact: true }).click();
    await events.getByText('Hello World!', { exact: true }).waitFor();
    await expect(events.getByText('+639760713666', { exact: true }).count()).resolves.toBe(1);
    await expect(events.getByText('*143#').count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'USSD', exact: true }).click();
    await events.getByText('Your balance is 10', { exact: true }).waitFor();
    await expect(events.getByText('Hello World!', { exact: true }).count()).resolves.toBe(0);

    // shown once: after a reload the secret is nowhere on the page
    await page.reload();
    await page.getByRole('article', { name: 'Device Office phone' }).waitFor();
    await expect(page.locator('.dev-secret').count()).resolves.toBe(0);
    expect(await page.content()).not.toContain(secret);

    // rotate: the old secret is refused, the new one works
    const card = page.getByRole('article', { name: 'Device Office phone' });
    await card.getByRole('button', { name: 'Rotate secret' }).click();
    await card.getByRole('button', { name: 'Rotate now' }).click();
    const rotated = page.getByRole('region', { name: 'Set up Office phone' });
    await rotated.getByText('The old secret no longer works').waitFor();
    const newSecret = (await rotated.locator('.dev-secret').textContent())!;
    expect(newSecret).toMatch(/^sbd_/);
    expect(newSecret).not.toBe(secret);
    expect((await postFromPhone(sms(2, 'With the old secret', secret))).status).toBe(401);
    expect(await postFromPhone(sms(3, 'With the new secret', newSecret))).toMatchObject({ status: 200, json: { event: 'sms_received' } });
    await page.getByRole('button', { name: 'SMS', exact: true }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await events.getByText('With the new secret', { exact: true }).waitFor();
    await expect(events.getByText('With the old secret', { exact: true }).count()).resolves.toBe(0);
    await rotated.getByRole('button', { name: 'I saved the secret' }).click();
    await expect(page.locator('.dev-secret').count()).resolves.toBe(0);

    // the device's webhook
    await card.getByText('Webhook', { exact: true }).click();
    await card.getByLabel('Device webhook URL').fill('https://example.com/sms-hook');
    await card.getByRole('button', { name: 'Save webhook' }).click();
    await card.getByText('Webhook saved.').waitFor();
    await card.getByText('Webhook on').waitFor();
    await expect(card.getByText('Signing secret', { exact: true }).count()).resolves.toBe(1);
    const listed = await h.admin('/api/devices');
    expect(listed.json.devices).toEqual([
      expect.objectContaining({ name: 'Office phone', webhookUrl: 'https://example.com/sms-hook', webhookDisabled: false }),
    ]);

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('devices');
    expect(o.problems()).toEqual([]);
    await o.context.close();

    await checkPhone('/#/devices', (p) => p.getByRole('list', { name: 'Events of Office phone' }).waitFor(), 'devices-phone');
    // the once-shown setup at 360 px: the long secret and the example wrap or scroll inside their boxes
    const phone = await h.open({ viewport: PHONE, path: '/#/devices' });
    await phone.page.getByLabel('Device name').fill('Spare phone');
    await phone.page.getByRole('button', { name: 'Register device' }).click();
    await phone.page.getByRole('region', { name: 'Set up Spare phone' }).waitFor();
    expect(await overflowsSideways(phone.page)).toBe(false);
    await phone.shot('devices-phone-secret');
    expect(phone.problems()).toEqual([]);
    await phone.context.close();
  });

  it('Logs: a failed login is a security event; the category filter and the pages work', async () => {
    const failed = await fetch(`${h.system.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: h.system.admin.username, password: 'not-the-password' }),
    });
    expect(failed.status).toBe(401);
    // more application events, for a second page
    const { json } = await h.admin('/api/devices');
    const deviceId = json.devices[0].deviceId;
    for (const n of [1, 2, 3, 4, 5, 6]) {
      expect((await h.admin(`/api/devices/${deviceId}/webhook`, { body: { webhookUrl: `https://example.com/hook-${n}` } })).status).toBe(200);
    }

    const o = await h.open({ viewport: LAPTOP, path: '/#/logs' });
    const { page } = o;
    const table = page.getByRole('table');
    await table.getByText('login_failed').first().waitFor();
    await table.getByText(`Failed login for ${h.system.admin.username}`).waitFor();

    await page.getByRole('button', { name: 'Security', exact: true }).click();
    await page.locator('caption').getByText('Security events').waitFor();
    await table.getByText('login_failed').first().waitFor();
    await expect(page.locator('.log-row.log-app').count()).resolves.toBe(0);
    expect(await page.locator('.log-row.log-security').count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Application', exact: true }).click();
    await page.locator('caption').getByText('Application events').waitFor();
    await table.getByText('device_added').first().waitFor();
    await expect(page.locator('.log-row.log-security').count()).resolves.toBe(0);
    await expect(table.getByText('login_failed').count()).resolves.toBe(0);

    // ten a page: the next page has other (older) events
    await page.getByRole('button', { name: 'All events', exact: true }).click();
    await page.locator('caption').getByText('All events').waitFor();
    await page.getByLabel('Per page').selectOption('10');
    await expect.poll(() => page.locator('.log-row').count()).toBe(10);
    // rows by their entry id: two events of the same second can read the same
    const ids = () => page.locator('.log-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
    const firstPage = await ids();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('caption').getByText('page 2').waitFor();
    const secondPage = await ids();
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.some((id) => firstPage.includes(id))).toBe(false);
    await page.getByRole('button', { name: 'First page' }).click();
    await page.locator('caption').getByText('page 1').waitFor();
    await page.getByLabel('Per page').selectOption('50');
    await table.getByText('login_failed').first().waitFor();

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('logs');
    expect(o.problems()).toEqual([]);
    await o.context.close();

    await checkPhone('/#/logs', (p) => p.getByRole('table').getByText('login_failed').first().waitFor(), 'logs-phone');
  });

  it("Usage: draws today's calls as bars by route, with a legend", async () => {
    for (let i = 0; i < 3; i++) expect((await h.admin('/api/clients')).status).toBe(200);
    expect((await h.admin('/api/profile')).status).toBe(200);

    const o = await h.open({ viewport: LAPTOP, path: '/#/usage' });
    const { page } = o;
    const chart = page.locator('svg[role="img"]');
    await chart.waitFor();
    const label = (await chart.getAttribute('aria-label'))!;
    expect(label).toMatch(/API calls per day over the last 30 days, stacked by route: [\d,]+ calls in total/);
    const bars = chart.locator(`g[data-day="${today()}"] rect`);
    expect(await bars.count()).toBeGreaterThan(1);
    expect(await chart.locator('g.adm-bar').count()).toBe(30);
    const legend = page.getByRole('list', { name: 'Legend' });
    await legend.getByText('GET /api/clients', { exact: true }).waitFor();
    await legend.getByText('GET /auth/me', { exact: true }).waitFor();
    // the bars are in the legend's colors, one color per route
    const fills = new Set(await bars.evaluateAll((rects) => rects.map((r) => r.getAttribute('fill'))));
    expect(fills.size).toBe(await bars.count());

    // one key: the account key's calls only (the harness's), not the dashboard login's
    await page.getByLabel('Key').selectOption('account');
    await expect(legend.getByText('GET /auth/me', { exact: true }).count()).resolves.toBe(0);
    await legend.getByText('GET /api/clients', { exact: true }).waitFor();
    await page.getByLabel('Key').selectOption('all');

    // 7 days: seven bars
    await page.getByRole('button', { name: '7 days' }).click();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('svg[role="img"] g.adm-bar').length === 7);
    expect(await chart.getAttribute('aria-label')).toContain('over the last 7 days');

    // the numbers, for screen readers and copying
    await page.getByText('The numbers').click();
    await page.getByRole('cell', { name: 'GET /api/clients' }).first().waitFor();

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('usage');
    expect(o.problems()).toEqual([]);
    await o.context.close();

    await checkPhone('/#/usage', (p) => p.locator(`svg[role="img"] g[data-day="${today()}"] rect`).first().waitFor(), 'usage-phone');
  });

  it('Account: reveals the key; an admin creates a user, who signs in as a user and resets their key', async () => {
    const o = await h.open({ viewport: LAPTOP, path: '/#/account' });
    const { page } = o;
    const keySection = section(page, 'Account API key');
    await keySection.waitFor();
    await expect(page.locator('.acct-username').textContent()).resolves.toBe(h.system.admin.username);
    // a login's calls never carry the key: the page asks the password first (a wrong one is refused)
    expect((await h.admin('/api/profile')).json.apiKey).toMatch(/^sba_/);
    await keySection.getByLabel('Password to show keys').fill('not-my-password');
    await keySection.getByRole('button', { name: 'Show keys' }).click();
    await keySection.getByRole('alert').getByText('Invalid password.').waitFor();
    await keySection.getByLabel('Password to show keys').fill(h.system.admin.password!);
    await keySection.getByRole('button', { name: 'Show keys' }).click();
    await keySection.getByRole('button', { name: 'Reveal' }).click();
    const shown = await keySection.locator('.secret code').textContent();
    expect(shown).toBe((await h.admin('/api/profile')).json.apiKey);

    // an admin sees the bridges: npm start's one, connected, with its version and the numbers it holds
    const bridges = section(page, 'Bridges');
    await bridges.getByText('bridge-1').waitFor();
    await bridges.getByText('Connected (sandbox)').waitFor();
    await bridges.getByText('0.1.0').waitFor();

    // an admin creates a user: its key is shown once and works
    const create = section(page, 'Create a user');
    await create.getByLabel('New username').fill('operator1');
    await create.getByLabel("New user's password").fill('operator-pass-1');
    await create.getByRole('button', { name: 'Create user' }).click();
    await create.getByText('operator1 was created (user, up to 5 numbers)').waitFor();
    const userKey = (await create.locator('.acct-new-key').textContent())!;
    expect(await withKey('/api/profile', userKey)).toMatchObject({ status: 200, json: { username: 'operator1', role: 'user' } });
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('account');
    // a taken name is an error sentence
    await create.getByLabel('New username').fill('operator1');
    await create.getByLabel("New user's password").fill('operator-pass-1');
    await create.getByRole('button', { name: 'Create user' }).click();
    await create.getByRole('alert').waitFor();
    expect(await create.getByRole('alert').textContent()).toMatch(/\.$/);
    expect(o.problems()).toEqual([]);
    await o.context.close();

    // the new user signs in: role user, no form to create users
    const u = await h.open({ viewport: LAPTOP, username: 'operator1', password: 'operator-pass-1', path: '/#/account' });
    const userKeys = section(u.page, 'Account API key');
    await userKeys.waitFor();
    await expect(u.page.locator('.acct-username').textContent()).resolves.toBe('operator1');
    await expect(u.page.locator('.acct-role').textContent()).resolves.toBe('user');
    await expect(section(u.page, 'Create a user').count()).resolves.toBe(0);
    await expect(u.page.getByLabel('New username').count()).resolves.toBe(0);

    // they reset their key: the old one is refused, the new one works
    await userKeys.getByLabel('Password to show keys').fill('operator-pass-1');
    await userKeys.getByRole('button', { name: 'Show keys' }).click();
    await userKeys.getByRole('button', { name: 'Reset API key' }).click();
    await userKeys.getByRole('button', { name: 'Reset now' }).click();
    await userKeys.getByText('A new API key was issued').waitFor();
    await userKeys.getByRole('button', { name: 'Reveal' }).click();
    const newKey = (await userKeys.locator('.secret code').textContent())!;
    expect(newKey).not.toBe(userKey);
    expect((await withKey('/api/profile', userKey)).status).toBe(401);
    expect(await withKey('/api/profile', newKey)).toMatchObject({ status: 200, json: { username: 'operator1' } });
    expect(u.problems()).toEqual([]);
    await u.context.close();

    await checkPhone('/#/account', (p) => section(p, 'Account API key').waitFor(), 'account-phone');
  });
});
