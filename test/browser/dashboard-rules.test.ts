// The dashboard's Rules page in a real browser against the whole system, the test playing the Android phone
// over HTTP (/gateway/android): an SMS the phone received is the recent event the live preview tries a
// draft on. A rule "SMS received, text contains price → reply" is made in the page: the preview shows the
// event matching with the reply rendered (and one that does not, with why); a bad placeholder is the API's
// inline error naming it, without losing the text; saved, it is listed. The phone's next "price" SMS is run:
// the run log shows the run done with its reply action, and the phone gets the reply to send. The switch
// turns the rule off (the API agrees). The mail server is saved against a local SMTP server (plain text on
// 127.0.0.1, so private targets are allowed here) and a test email is sent. At 1366 and 360 px, with screenshots.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpTestServer } from '../support/smtp-server.ts';
import { LAPTOP, overflowsSideways, PHONE, type PagesHarness, SCREENSHOT_DIR, startPages } from './pages.ts';

let h: PagesHarness;
let smtp: SmtpTestServer;

beforeAll(async () => {
  // the mail server is a local one (127.0.0.1, plain text): allowed only with private targets allowed
  process.env.ALLOW_PRIVATE_WEBHOOK_URLS = 'true';
  smtp = await startSmtpServer();
  h = await startPages();
}, 180_000);

afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

const CUSTOMER = '+639170000001';
const ASKS = 'Hi! What is the price of a haircut?';
const OTHER = 'Are you open on Sunday?';
const AGAIN = 'Price list please';
const nowSec = () => Math.floor(Date.now() / 1000);

/** The phone app of a registered device (its secret in the x-device-secret header). */
function phoneApp(secret: string) {
  let id = 0;
  const call = async (path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${h.system.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'x-device-secret': secret, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  return {
    /** the phone received an SMS and posts it */
    sms: (from: string, message: string) =>
      call('/gateway/android', { type: 'sms', data: { id: ++id, rid: 10_000 + id, sim: 1, device: 'android-1', phone: from, message, timestamp: nowSec() } }),
    poll: async () => (await call('/gateway/android/outbox')).json.messages as { to: string; message: string; channel: string }[],
  };
}

/** Only these answers may fail: no mail server yet (404), and the preview's validation errors (400). */
const EXPECTED_FAILURES = new Set(['404 GET /api/mail', '400 POST /api/rules/preview']);

describe('dashboard: automation rules', () => {
  it('makes a rule with a live preview, lists it, shows its runs, turns it off; sets the mail server and sends a test email', async () => {
    const made = await h.admin('/api/devices', { body: { name: 'Shop phone' } });
    expect(made.status).toBe(201);
    const phone = phoneApp(made.json.secret);
    expect(await phone.sms(CUSTOMER, ASKS)).toMatchObject({ status: 200, json: { event: 'sms_received' } });
    expect(await phone.sms('+639170000002', OTHER)).toMatchObject({ status: 200, json: { event: 'sms_received' } });

    const o = await h.open({ viewport: LAPTOP, path: '/#/rules' });
    const { page } = o;
    await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules', exact: true });
    await expect(nav.getAttribute('aria-current')).resolves.toBe('page');
    await page.getByText('No rules yet.').waitFor();

    // a new rule: SMS received (the default event), text contains "price", reply with the message
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.waitFor();
    await expect(form.getByLabel('Event', { exact: true }).inputValue()).resolves.toBe('sms_received');
    await form.getByText('{{data.message}}', { exact: true }).waitFor(); // the placeholders hint
    await form.getByLabel('Name', { exact: true }).fill('Price reply');
    await form.getByLabel('Text contains').fill('price');
    const reply = form.getByRole('group', { name: 'Action 1: Reply' });
    const text = reply.getByLabel('Text', { exact: true });
    await text.fill('Our prices: {{data.message}}');

    // the live preview: the latest events, newest first; the "price" one matches with its reply rendered
    const preview = page.getByRole('region', { name: 'Preview' });
    const matching = preview.locator('li.ru-try', { hasText: ASKS });
    await matching.getByText('Matches', { exact: true }).waitFor();
    await matching.locator('.ru-rendered').getByText(`Our prices: ${ASKS}`, { exact: true }).waitFor();
    await matching.getByText(`Reply over SMS to ${CUSTOMER} via Shop phone`).waitFor();
    const other = preview.locator('li.ru-try', { hasText: OTHER });
    await other.getByText('No match', { exact: true }).waitFor();
    await other.getByText('Why not: the text does not contain "price"').waitFor();
    await expect(preview.locator('li.ru-try').first().textContent()).resolves.toContain(OTHER); // newest first

    // a misspelt placeholder: the API's error inline, naming the field and the placeholder; the text is kept
    await text.fill('Our prices: {{data.form}}');
    const error = preview.getByRole('alert');
    await error.waitFor();
    // said with the field as the form labels it, then the API's words
    expect(await error.textContent()).toMatch(/^Action 1 \(Reply\) › Text: "\{\{data\.form\}\}" at character 13: unknown field data\.form for sms_received/);
    await expect(preview.locator('li.ru-try').count()).resolves.toBe(0);
    await expect(text.inputValue()).resolves.toBe('Our prices: {{data.form}}');
    await expect(text.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(form.getByLabel('Name', { exact: true }).inputValue()).resolves.toBe('Price reply');
    await o.shot('rules-preview-error');

    // fixed: the preview is back
    await text.fill('Our prices: {{data.message}}');
    await matching.locator('.ru-rendered').getByText(`Our prices: ${ASKS}`, { exact: true }).waitFor();
    await expect(error.count()).resolves.toBe(0);
    await expect(text.getAttribute('aria-invalid')).resolves.toBe(null);
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('rules-editor');

    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('status').getByText('“Price reply” was created.').waitFor();
    await expect(form.count()).resolves.toBe(0);
    const row = page.locator('tr.ru-row', { hasText: 'Price reply' });
    await row.getByText('SMS received', { exact: true }).waitFor();
    await row.getByText('text contains “price”').waitFor();
    await row.getByText('Reply “Our prices: {{data.message}}”').waitFor();
    const listed = (await h.admin('/api/rules')).json.rules;
    expect(listed).toEqual([
      expect.objectContaining({
        name: 'Price reply',
        enabled: true,
        trigger: { event: 'sms_received', textContains: 'price' },
        actions: [{ type: 'reply', text: 'Our prices: {{data.message}}' }],
      }),
    ]);
    const ruleId: string = listed[0].id;

    // the phone's next "price" SMS runs the rule: the run log shows it done, with its reply action
    expect(await phone.sms(CUSTOMER, AGAIN)).toMatchObject({ status: 200 });
    await row.getByRole('button', { name: 'Run log of Price reply' }).click();
    const runs = page.getByRole('list', { name: 'Runs of Price reply, newest first' });
    const log = page.locator('section', { has: page.getByRole('heading', { name: 'Run log: Price reply' }) });
    const done = runs.locator('li.ru-run[data-status="done"]');
    await expect
      .poll(
        async () => {
          if ((await done.count()) === 0) await log.getByRole('button', { name: 'Refresh' }).click();
          return done.count();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe(1);
    await done.getByText('Done', { exact: true }).first().waitFor();
    await expect(done.locator('.ru-run-event').textContent()).resolves.toBe(`SMS received from ${CUSTOMER}: “${AGAIN}”`);
    const step = done.locator('li.ru-step[data-type="reply"]');
    await step.getByText('Reply', { exact: true }).waitFor();
    await expect(step.getAttribute('data-status')).resolves.toBe('done');
    await step.getByText(/^outboxId: \d+$/).waitFor();
    await expect(runs.locator('li.ru-run').count()).resolves.toBe(1); // the older SMS came before the rule
    // the reply is the phone's to send
    expect(await phone.poll()).toEqual([expect.objectContaining({ to: CUSTOMER, message: `Our prices: ${AGAIN}`, channel: 'sms' })]);

    // the switch turns it off; the API agrees
    const toggle = row.getByRole('switch', { name: 'Enabled: Price reply' });
    await expect(toggle.isChecked()).resolves.toBe(true);
    await toggle.click();
    await page.getByRole('status').getByText('“Price reply” is off.').waitFor();
    await expect(toggle.isChecked()).resolves.toBe(false);
    expect((await h.admin(`/api/rules/${ruleId}`)).json).toMatchObject({ id: ruleId, enabled: false });
    // Delete asks first; Cancel keeps the rule
    await row.getByRole('button', { name: 'Delete Price reply' }).click();
    await row.getByText('Delete “Price reply” and its run log?').waitFor();
    await o.shot('rules-delete-confirm');
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: 'Delete Price reply' }).waitFor();

    // the mail server: none yet; saved (the password is never shown back: "saved"); a test email sent
    const mail = page.getByRole('form', { name: 'Mail server' });
    await page.getByText('Not set', { exact: true }).waitFor();
    await mail.getByLabel('From address').fill('alerts@example.com');
    await mail.getByLabel('Host').fill('127.0.0.1');
    await mail.getByLabel('Security').selectOption('none');
    await mail.getByLabel('Port').fill(String(smtp.port));
    await mail.getByLabel('Username (optional)').fill('shop');
    await mail.getByLabel('Password', { exact: true }).fill('s3cret');
    await mail.getByRole('button', { name: 'Save mail server' }).click();
    await mail.getByText('Mail server saved.').waitFor();
    await mail.getByText('Saved. Leave empty to keep it.').waitFor();
    await expect(mail.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
    expect((await h.admin('/api/mail')).json).toMatchObject({ host: '127.0.0.1', port: smtp.port, security: 'none', username: 'shop', passwordSet: true });
    const test = page.getByRole('form', { name: 'Send a test email' });
    await test.getByLabel('Test address').fill('owner@example.com');
    await test.getByRole('button', { name: 'Send test email' }).click();
    await test.getByText('Sent to owner@example.com: the server took it.').waitFor();
    expect(smtp.messages('owner@example.com')).toEqual([expect.objectContaining({ subject: 'Switchboard test email', user: 'shop' })]);

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('rules-list');
    expect(o.problems()).toEqual([]);
    expect(o.failed().filter((f) => !EXPECTED_FAILURES.has(f))).toEqual([]);
    await o.context.close();

    // at 360 px: the list as cards, the editor of the saved rule with its preview below, the run log
    const p = await h.open({ viewport: PHONE, path: `/#/rules?edit=${ruleId}&runs=${ruleId}` });
    const edit = p.page.getByRole('form', { name: 'Edit rule Price reply' });
    await expect(edit.getByLabel('Text contains').inputValue()).resolves.toBe('price');
    await p.page
      .getByRole('region', { name: 'Preview' })
      .locator('li.ru-try', { hasText: AGAIN })
      .locator('.ru-rendered')
      .getByText(`Our prices: ${AGAIN}`, { exact: true })
      .waitFor();
    await p.page.locator('li.ru-run[data-status="done"]').waitFor();
    expect(await overflowsSideways(p.page)).toBe(false);
    await p.shot('rules-phone');
    // the parts at full size (the whole page is long)
    const section = (title: string) => p.page.locator('section.card', { has: p.page.getByRole('heading', { name: title, level: 2 }) });
    await section('Your rules').screenshot({ path: join(SCREENSHOT_DIR, 'rules-phone-list.png') });
    await edit.screenshot({ path: join(SCREENSHOT_DIR, 'rules-phone-form.png') });
    await p.page.getByRole('region', { name: 'Preview' }).screenshot({ path: join(SCREENSHOT_DIR, 'rules-phone-preview.png') });
    await section('Run log: Price reply').screenshot({ path: join(SCREENSHOT_DIR, 'rules-phone-runs.png') });
    await section('Mail server').screenshot({ path: join(SCREENSHOT_DIR, 'rules-phone-mail.png') });

    // edited: an SMS forward added and moved first; the preview renders both; saved with PATCH (still off)
    await edit.getByRole('button', { name: 'Add SMS' }).click();
    const forward = edit.getByRole('group', { name: 'Action 2: SMS' });
    await forward.getByLabel('To', { exact: true }).fill('+972501234567');
    await forward.getByLabel('Text', { exact: true }).fill('Asked: {{data.message}}');
    await edit.getByRole('button', { name: 'Move action 2 up' }).click();
    await expect(edit.getByRole('group', { name: 'Action 1: SMS' }).getByLabel('Text', { exact: true }).inputValue()).resolves.toBe('Asked: {{data.message}}');
    const tried = p.page.getByRole('region', { name: 'Preview' }).locator('li.ru-try', { hasText: AGAIN });
    await expect
      .poll(() => tried.locator('li.ru-would').allTextContents())
      .toEqual([`1 SMS to +972501234567 (routed to a healthy device)Asked: ${AGAIN}`, `2 Reply over SMS to ${CUSTOMER} via Shop phoneOur prices: ${AGAIN}`]);
    await edit.getByRole('button', { name: 'Save rule' }).click();
    await p.page.getByRole('status').getByText('“Price reply” was saved.').waitFor();
    expect((await h.admin(`/api/rules/${ruleId}`)).json).toMatchObject({
      enabled: false,
      actions: [
        { type: 'sms', to: '+972501234567', text: 'Asked: {{data.message}}' },
        { type: 'reply', text: 'Our prices: {{data.message}}' },
      ],
    });

    // deleted, after a second question
    const card = p.page.locator('tr.ru-row', { hasText: 'Price reply' });
    await expect(card.locator('.ru-steps li').allTextContents()).resolves.toEqual(['SMS +972501234567', 'Reply “Our prices: {{data.message}}”']);
    await card.getByRole('button', { name: 'Delete Price reply' }).click();
    await card.getByText('Delete “Price reply” and its run log?').waitFor();
    expect(await overflowsSideways(p.page)).toBe(false);
    await card.getByRole('button', { name: 'Delete rule' }).click();
    await p.page.getByRole('status').getByText('“Price reply” was deleted.').waitFor();
    await p.page.getByText('No rules yet.').waitFor();
    await expect(p.page.getByRole('heading', { name: 'Run log: Price reply' }).count()).resolves.toBe(0);
    expect((await h.admin('/api/rules')).json.rules).toEqual([]);
    expect(p.problems()).toEqual([]);
    expect(p.failed().filter((f) => !EXPECTED_FAILURES.has(f))).toEqual([]);
    await p.context.close();
  });
});
