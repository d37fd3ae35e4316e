// The dashboard in Debian's Chromium against the whole system (sandbox transport): signing in (and a wrong
// password), adding a number and watching it pair live, its key and webhook secret, a test send, deleting it
// with the password, the phone layout, and a session that ends sending the person back to the login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAPTOP, overflowsSideways, PHONE, type PagesHarness, startPages } from './pages.ts';

let h: PagesHarness;

beforeAll(async () => {
  // the sandbox network refuses a second new contact a day (WhatsApp's 463): the send queue panel shows the pause
  process.env.SANDBOX_REACH_OUT_LIMIT = '1';
  h = await startPages();
  delete process.env.SANDBOX_REACH_OUT_LIMIT;
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('the dashboard', () => {
  it('a wrong password is an error on the login page; the right one signs in', async () => {
    const context = await h.browser.newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    await page.goto(`${h.system.url}/`);
    await page.getByLabel('Username').fill(h.system.admin.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /invalid|wrong|incorrect/i })
      .waitFor({ timeout: 10_000 });
    await page.getByLabel('Password').fill(h.system.admin.password!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Numbers', level: 1 }).waitFor();
    for (const name of ['Numbers', 'Chat', 'Scheduling', 'Webhooks', 'Devices', 'Logs', 'Usage', 'Account']) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).waitFor({ state: 'attached' });
    }
    await context.close();
  });

  it('adds a number, shows its QR, and turns connected live when the phone scans; key, secret, test send, delete', async () => {
    const o = await h.open();
    const { page } = o;
    await page.getByLabel('Client ID').fill('shop');
    await page.getByLabel('Phone number').fill('972501234567');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const qr = page.getByRole('img', { name: /QR/ });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await o.shot('numbers-pairing');
    // the (sandbox) phone scans: the card turns connected without a reload
    expect((await h.admin('/api/sandbox/shop/scan', { body: {} })).status).toBe(200);
    const card = page.getByRole('article', { name: 'Number shop' });
    await card.getByText('Connected', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await qr.count()).toBe(0);

    // the client's API key, shown after the password (a login's calls never carry keys), is the one that works
    await card.getByText('API key and webhook').click();
    expect(((await o.page.evaluate(() => fetch('/api/clients').then((r) => r.json()))) as unknown[])[0]).toMatchObject({ apiKey: null, webhookSecret: null });
    await card.getByLabel('Password to show keys').fill(h.system.admin.password!);
    await card.getByRole('button', { name: 'Show keys' }).click();
    await card.getByRole('button', { name: 'Reveal' }).first().click();
    const key = (await card.locator('.secret code').first().textContent())!;
    expect(key).toMatch(/^sbc_/);
    expect((await fetch(`${h.system.url}/api/clients`, { headers: { 'x-api-key': key } })).status).toBe(200);
    // a webhook gets a signing secret, shown with it
    await card.getByLabel('Webhook URL').fill('https://hooks.example.com/shop');
    await card.getByRole('button', { name: 'Save webhook' }).click();
    await card.getByText('Webhook saved.').waitFor();
    // the secret is new: shown after the password again
    await card.getByLabel('Password to show keys').fill(h.system.admin.password!);
    await card.getByRole('button', { name: 'Show keys' }).click();
    await card.getByText('Signing secret').waitFor();
    const clients = (await h.admin('/api/clients')).json;
    expect(clients[0]).toMatchObject({ webhookUrl: 'https://hooks.example.com/shop', webhookSecret: expect.stringMatching(/^whsec_/) });

    // a test send reaches the (sandbox) network
    await card.getByText('Test send').click();
    await card.getByLabel('To number').fill('+15550000001');
    await card.getByRole('button', { name: 'Send test message' }).click();
    await card.getByText(/is sent\./).waitFor({ timeout: 20_000 });
    expect((await h.admin('/api/sandbox/shop/outbox')).json).toEqual([expect.objectContaining({ to: '15550000001', body: 'Hello from Switchboard' })]);
    await o.shot('numbers-connected');

    // delete: the wrong password is refused in a sentence; the right one deletes
    await card.getByRole('button', { name: 'Delete shop' }).click();
    await card.getByLabel('Your password').fill('wrong-password');
    await card.getByRole('button', { name: 'Delete permanently' }).click();
    await card.getByRole('alert').getByText('Invalid password.').waitFor();
    await card.getByLabel('Your password').fill(h.system.admin.password!);
    await card.getByRole('button', { name: 'Delete permanently' }).click();
    await page.getByText('No numbers yet. Add one above.').waitFor();
    expect((await h.admin('/api/clients')).json).toEqual([]);
    expect(o.problems()).toEqual([]);
    expect(o.failed()).toEqual(['403 DELETE /clients/shop']); // the wrong password, and nothing else
    await o.context.close();
  });

  it('pairs by a code typed on the phone: the code shows, a wrong one is refused, the right one connects live', async () => {
    const o = await h.open();
    const { page } = o;
    await page.getByLabel('Client ID').fill('code-shop');
    await page.getByLabel('Phone number').fill('972501234571');
    await page.getByLabel('Pair with').selectOption('code');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const card = page.getByRole('article', { name: 'Number code-shop' });
    const shown = card.getByLabel('Pairing code for code-shop');
    await shown.waitFor();
    const code = (await shown.textContent())!.replace('-', '');
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/); // Baileys' alphabet for WhatsApp's codes (no 0, I, O, U)
    expect(await card.getByRole('img', { name: /QR/ }).count()).toBe(0);
    const wrong = await h.admin('/api/sandbox/code-shop/pair', { body: { code: 'ZZZZZZZZ' } });
    expect([wrong.status, wrong.json.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect((await h.admin('/api/sandbox/code-shop/pair', { body: { code: `${code.slice(0, 4)}-${code.slice(4)}` } })).json).toMatchObject({
      status: 'connected',
    });
    await card.getByText('Connected', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await shown.count()).toBe(0);
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it("a number's send queue: what waits, when the next may go and what holds it, and the pacing in force", async () => {
    await h.admin('/api/add-number', { body: { clientId: 'paced-shop', phoneNumber: '972501234572' } });
    await h.admin('/api/sandbox/paced-shop/scan', { body: {} });
    // ten minutes between sends: the first goes, the second waits for the interval
    expect((await h.admin('/api/clients/paced-shop/governor', { method: 'PUT', body: { minIntervalMs: 600_000, jitterMs: 0 } })).status).toBe(200);
    expect((await h.admin('/api/send-message', { body: { clientId: 'paced-shop', number: '15550000001', message: 'first', wait: true } })).json.status).toBe(
      'sent',
    );
    const second = (await h.admin('/api/send-message', { body: { clientId: 'paced-shop', number: '15550000001', message: 'second' } })).json.messageId;
    const o = await h.open();
    const card = o.page.getByRole('article', { name: 'Number paced-shop' });
    await card.getByText('Send queue').click();
    const queue = card.getByRole('region', { name: 'Send queue of paced-shop' });
    await queue
      .getByText(/^1 waiting \(0 replies and chat, 1 bulk\)\. The next may go at .+, held by the interval between sends\.$/)
      .waitFor({ timeout: 10_000 });
    await queue.getByText('Pacing: 10 min between sends; a message waits at most 24 h.').waitFor();
    await o.shot('numbers-send-queue');
    // cancelled (by API): Refresh shows the queue empty
    expect((await h.admin(`/api/messages/${second}`, { method: 'DELETE' })).json.status).toBe('cancelled');
    await queue.getByRole('button', { name: 'Refresh' }).click();
    await queue.getByText('Nothing waiting.').waitFor();

    // a number WhatsApp refused (463): the pause is an alert with its reason, and the message waits
    await h.admin('/api/add-number', { body: { clientId: 'limited-shop', phoneNumber: '972501234573' } });
    await h.admin('/api/sandbox/limited-shop/scan', { body: {} });
    await h.admin('/api/send-message', { body: { clientId: 'limited-shop', number: '15550000011', message: 'first stranger', wait: true } });
    await h.admin('/api/send-message', { body: { clientId: 'limited-shop', number: '15550000012', message: 'second stranger' } });
    for (let i = 0; i < 100 && !(await h.admin('/api/clients/limited-shop/queue')).json.pausedUntil; i++) await new Promise((r) => setTimeout(r, 100));
    const limited = o.page.getByRole('article', { name: 'Number limited-shop' });
    await o.page.reload();
    await limited.getByText('Send queue').click();
    const paused = limited.getByRole('region', { name: 'Send queue of limited-shop' });
    await paused
      .getByRole('alert')
      .getByText(/^Sending is paused until .+: 463: reach-out limit/)
      .waitFor({ timeout: 10_000 });
    await paused.getByText(/^1 waiting/).waitFor();
    await o.shot('numbers-send-queue-paused');
    expect(o.problems()).toEqual([]);
    expect(o.failed()).toEqual([]);
    await o.context.close();
  });

  it('works on a phone: the menu opens the pages, nothing scrolls sideways', async () => {
    await h.admin('/api/add-number', { body: { clientId: 'phone-shop', phoneNumber: '972501234568' } });
    const o = await h.open({ viewport: PHONE });
    await o.page.getByRole('img', { name: /QR/ }).waitFor();
    expect(await overflowsSideways(o.page)).toBe(false);
    await o.shot('numbers-phone');
    await o.page.getByRole('button', { name: 'Menu' }).click();
    await o.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await o.page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    expect(await overflowsSideways(o.page)).toBe(false);
    expect(o.problems()).toEqual([]);
    expect(o.failed()).toEqual([]);
    await o.context.close();
  });

  it('the tour: one number connected, one pairing (the README screenshot)', async () => {
    await h.admin('/api/add-number', { body: { clientId: 'tour-shop', phoneNumber: '972501234570' } });
    await h.admin('/api/sandbox/tour-shop/scan', { body: {} });
    const o = await h.open();
    await o.page.getByRole('article', { name: 'Number tour-shop' }).getByText('Connected', { exact: true }).waitFor();
    await o.page.getByRole('article', { name: 'Number phone-shop' }).getByRole('img', { name: /QR/ }).waitFor();
    await o.shot('tour-numbers');
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it('a session that ends (logged out elsewhere) sends the person back to the login', async () => {
    const o = await h.open();
    // the login ends: its cookie is revoked by logging out with it from outside the page
    const cookies = await o.context.cookies();
    const session = cookies.find((c) => c.name === 'sb_session')!;
    const out = await fetch(`${h.system.url}/auth/logout`, { method: 'POST', headers: { cookie: `sb_session=${session.value}`, origin: h.system.url } });
    expect(out.status).toBe(200);
    // the next page change notices (the page may already have, from a live socket's refusal)
    await o.page.evaluate(() => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = '#/messages';
    });
    await o.page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await o.page.getByText('Your session ended. Sign in again.').waitFor();
    await o.context.close();
  });
});
