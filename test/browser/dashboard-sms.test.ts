// The dashboard's SMS page in a real browser against the whole system, with the test playing the Android
// phone over HTTP (/gateway/android: it reports its SIMs, long-polls its outbox and reports sent and
// delivered): the live segment counter (GSM-7, UCS-2, parts) counts as the API does; a Hebrew SMS sent from
// the page is listed queued, then sent and delivered after the phone reports and Refresh is clicked; a bad
// number is an error and nothing is queued; device and SIM choice (a SIM at its quota cannot be chosen); older
// sends behind More; each device's health, queue and SIMs on the Devices page. At 1366 and 360 px, with
// screenshots.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsSegments as apiCount } from '../../adapters/sms-segments.ts';
import { smsSegments as pageCount } from '../../edge/ui/src/dashboard/pages/sms/segments.ts';
import { formatInZone, zonedToUtc } from '../../edge/ui/src/tz.ts';
import { LAPTOP, overflowsSideways, PHONE, type PagesHarness, SCREENSHOT_DIR, startPages } from './pages.ts';

let h: PagesHarness;

beforeAll(async () => {
  h = await startPages();
}, 180_000);

afterAll(async () => {
  await h?.close();
});

const HEBREW = 'שלום! ההודעה הגיעה?';
const TO = '+972501234567';
const SIMS = [
  { slot: 1, carrier: 'Partner', number: '+972501111111', dailyQuota: 100 },
  { slot: 2, carrier: 'סלקום', number: '+972502222222', dailyQuota: 1 },
];

/** The phone app of a registered device: every call carries its secret in the x-device-secret header. */
function phoneApp(secret: string) {
  const call = async (path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${h.system.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'x-device-secret': secret, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
  return {
    sims: (sims: { slot: number; carrier?: string; number?: string; dailyQuota?: number | null }[]) => call('/gateway/android/sims', { sims }),
    /** a long-poll: answers as soon as work is queued, or empty after `wait` seconds */
    poll: async (wait: number) =>
      (await call(`/gateway/android/outbox?wait=${wait}`)).json.messages as { id: number; to: string; sim: number | null; message: string }[],
    report: (id: number, status: 'sent' | 'delivered' | 'failed', error?: string) =>
      call(`/gateway/android/outbox/${id}`, { status, ...(error ? { error } : {}) }),
  };
}

/** The counter under the message (the textarea is described by it). */
async function counter(page: Page) {
  const id = await page.getByLabel('Message', { exact: true }).getAttribute('aria-describedby');
  return page.locator(`[id="${id}"]`);
}

const row = (page: Page, text: string) => page.locator('tr.sms-row', { hasText: text });

let office: { deviceId: string; secret: string };
let phone: ReturnType<typeof phoneApp>;

describe('dashboard: SMS through Android devices', () => {
  it('the page counts segments as the API does', () => {
    const texts = [
      '',
      'Hello',
      'a'.repeat(160),
      'a'.repeat(161),
      '€'.repeat(80),
      '€'.repeat(81),
      HEBREW,
      'ש'.repeat(70),
      'ש'.repeat(71),
      'مرحبا بك',
      'Done 👍🏽 see you',
      '👨‍👩‍👧'.repeat(30),
      'It’s “quoted”',
      `${'b'.repeat(152)}€x`,
      'line\nbreak\r\nmixed',
    ];
    for (const text of texts) expect(pageCount(text), JSON.stringify(text)).toEqual(apiCount(text));
  });

  it('sends a Hebrew SMS from the page: counted UCS-2 in 1 part, queued, then delivered after the phone reports it', async () => {
    const made = await h.admin('/api/devices', { body: { name: 'Office phone' } });
    expect(made.status).toBe(201);
    office = { deviceId: made.json.deviceId, secret: made.json.secret };
    phone = phoneApp(office.secret);
    // the phone starts: it reports its SIMs (a sign of life: the device is healthy)
    expect(await phone.sims(SIMS)).toMatchObject({ status: 200, json: { success: true, sims: 2 } });
    expect(await phone.poll(0)).toEqual([]);
    // a second device that never called: silent, no SIMs
    expect((await h.admin('/api/devices', { body: { name: 'Spare phone' } })).status).toBe(201);

    const o = await h.open({ viewport: LAPTOP, path: '/#/sms' });
    const { page } = o;
    await page.getByRole('heading', { name: 'SMS', level: 1 }).waitFor();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'SMS', exact: true }).getAttribute('aria-current')).resolves.toBe(
      'page',
    );
    await page.getByText('No SMS sent yet.').waitFor();

    // the counter, live: GSM-7 in one part, two parts past 160, UCS-2 for Hebrew
    const message = page.getByLabel('Message', { exact: true });
    const count = await counter(page);
    await message.fill('Hello');
    await expect(count.locator('[data-encoding]').textContent()).resolves.toBe('GSM-7');
    await count.getByText('1 part', { exact: true }).waitFor();
    await count.getByText('5/160 characters').waitFor();
    await message.fill('a'.repeat(161));
    await count.getByText('2 parts', { exact: true }).waitFor();
    await count.getByText('161/306 characters (153 a part)').waitFor();
    await message.fill(HEBREW);
    await expect(count.locator('[data-encoding]').textContent()).resolves.toBe('UCS-2');
    await count.getByText('1 part', { exact: true }).waitFor();
    await count.getByText(`${HEBREW.length}/70 characters`).waitFor();
    await count.getByText('UCS-2 because of:').waitFor();
    expect(await message.getAttribute('dir')).toBe('auto');

    // routed by default: no SIM to choose until a device is
    const device = page.getByLabel('Device', { exact: true });
    await expect(device.inputValue()).resolves.toBe('');
    await expect(device.locator('option').first().textContent()).resolves.toBe('Any healthy device (routed)');
    await expect(page.getByLabel('SIM', { exact: true }).isDisabled()).resolves.toBe(true);
    await page.getByText('1 of 2 healthy').waitFor();

    await page.getByLabel('To', { exact: true }).fill(TO);
    await page.getByRole('button', { name: 'Send SMS' }).click();
    // routed to the healthy device, on the SIM with the most room
    await page.getByRole('status').getByText('Queued on Office phone, SIM 1: UCS-2, 1 part.').waitFor();
    await expect(message.inputValue()).resolves.toBe('');
    const sent = row(page, HEBREW);
    await sent.getByText('Queued', { exact: true }).waitFor();
    await sent.getByText('Office phone', { exact: true }).waitFor();
    await sent.getByText('SIM 1', { exact: true }).waitFor();
    await sent.getByText('1 part', { exact: true }).waitFor();
    await sent.getByText('UCS-2', { exact: true }).waitFor();
    await expect(sent.getByText(HEBREW).getAttribute('dir')).resolves.toBe('auto');
    const listed = await h.admin('/api/sms');
    expect(listed.json.messages).toEqual([
      expect.objectContaining({
        to: TO,
        message: HEBREW,
        status: 'queued',
        sim: 1,
        segments: { encoding: 'UCS-2', segments: 1, characters: HEBREW.length, unitsPerSegment: 70 },
      }),
    ]);

    // the phone takes it (long-poll) and reports: sending, then sent, then delivered, each seen after Refresh
    const [work] = await phone.poll(5);
    expect(work).toMatchObject({ to: TO, sim: 1, message: HEBREW });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await sent.getByText('Sending', { exact: true }).waitFor();
    expect(await phone.report(work!.id, 'sent')).toMatchObject({ status: 200, json: { success: true } });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await sent.getByText('Sent', { exact: true }).waitFor();
    expect(await phone.report(work!.id, 'delivered')).toMatchObject({ status: 200, json: { success: true } });
    await expect(sent.getByText('Delivered', { exact: true }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await sent.locator('.dt-pill').getByText('Delivered', { exact: true }).waitFor();
    await sent.locator('.sms-time', { hasText: 'Delivered' }).waitFor();
    await sent.locator('.sms-time', { hasText: 'Sent' }).waitFor();
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('sms-desktop');

    // a bad number: the API's sentence, and nothing queued
    await page.getByLabel('To', { exact: true }).fill('call me maybe');
    await message.fill('Will not go');
    await page.getByRole('button', { name: 'Send SMS' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/phone number.*\.$/);
    await expect(message.inputValue()).resolves.toBe('Will not go');
    await expect(page.locator('tr.sms-row').count()).resolves.toBe(1);
    expect((await h.admin('/api/sms')).json.messages).toHaveLength(1);
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('sms-error');

    // a chosen device and SIM: SIM 2 (quota 1) takes one, then cannot be chosen
    await page.getByLabel('To', { exact: true }).fill(TO);
    await message.fill('Through SIM 2');
    await device.selectOption({ label: 'Office phone (healthy, 0 queued)' });
    await page.locator('.sms-device-state').getByText('Healthy', { exact: true }).waitFor();
    const sim = page.getByLabel('SIM', { exact: true });
    await expect(sim.isDisabled()).resolves.toBe(false);
    await sim.selectOption({ label: 'SIM 2 · סלקום · +972502222222 (0/1 today)' });
    await page.getByRole('button', { name: 'Send SMS' }).click();
    await page.getByRole('status').getByText('Queued on Office phone, SIM 2: GSM-7, 1 part.').waitFor();
    await row(page, 'Through SIM 2').getByText('SIM 2', { exact: true }).waitFor();
    await sim.locator('option:disabled', { hasText: 'SIM 2 · סלקום · +972502222222 (1/1 today, quota reached)' }).waitFor({ state: 'attached' });
    await device.locator('option', { hasText: 'Office phone (healthy, 1 queued)' }).waitFor({ state: 'attached' });

    // the silent device: said so, and the phone picks its SIM
    await device.selectOption({ label: 'Spare phone (silent, 0 queued)' });
    await page.locator('.sms-device-state').getByText('Silent', { exact: true }).waitFor();
    await page.getByText('it is sent when the phone polls again').waitFor();
    await expect(sim.isDisabled()).resolves.toBe(true);
    await page.getByText('This device has not reported its SIMs: the phone picks.').waitFor();

    expect(o.problems()).toEqual([]);
    expect(o.failed()).toEqual(['400 POST /api/sms/send']);
    await o.context.close();

    // at 360 px: the form with its counter, and the list as cards of labelled lines
    const p = await h.open({ viewport: PHONE, path: '/#/sms' });
    await row(p.page, HEBREW).locator('.dt-pill').getByText('Delivered', { exact: true }).waitFor();
    await p.page.getByLabel('Message', { exact: true }).fill(HEBREW);
    await (await counter(p.page)).getByText('UCS-2 because of:').waitFor();
    expect(await overflowsSideways(p.page)).toBe(false);
    await p.shot('sms-phone');
    expect(p.problems()).toEqual([]);
    await p.context.close();
  });

  it('Devices: health, last seen, queue and SIMs with their sends today', async () => {
    const o = await h.open({ viewport: LAPTOP, path: '/#/devices' });
    const { page } = o;
    const card = page.getByRole('article', { name: 'Device Office phone' });
    await card.waitFor();
    await card.getByText('Healthy', { exact: true }).waitFor();
    await card.getByText('1 message', { exact: true }).waitFor();
    const sims = card.getByRole('list', { name: 'SIMs of Office phone' });
    await expect(sims.getByRole('listitem').count()).resolves.toBe(2);
    const sim1 = sims.getByRole('listitem').filter({ hasText: 'SIM 1' });
    await sim1.getByText('Partner').waitFor();
    await sim1.getByText('1/100 sent today').waitFor();
    await expect(sim1.getByRole('meter').getAttribute('aria-label')).resolves.toBe('SIM 1: 1 of 100 sent today');
    const sim2 = sims.getByRole('listitem').filter({ hasText: 'SIM 2' });
    await sim2.getByText('סלקום').waitFor();
    await sim2.getByText('1/1 sent today').waitFor();
    await sim2.getByText('quota reached').waitFor();
    // the last sign of life, in words, with the time on hover
    const seen = card.locator('dd time');
    expect(await seen.textContent()).toMatch(/^(just now|\d+ s ago)$/);

    const spare = page.getByRole('article', { name: 'Device Spare phone' });
    await spare.getByText('Silent', { exact: true }).waitFor();
    await spare.getByText('Never', { exact: true }).waitFor();
    await spare.getByText('0 messages', { exact: true }).waitFor();
    await spare.getByText('No SIMs reported yet').waitFor();

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('sms-devices');
    expect(o.problems()).toEqual([]);
    await o.context.close();

    const p = await h.open({ viewport: PHONE, path: '/#/devices' });
    await p.page.getByRole('list', { name: 'SIMs of Office phone' }).waitFor();
    expect(await overflowsSideways(p.page)).toBe(false);
    await p.shot('sms-devices-phone');
    expect(p.problems()).toEqual([]);
    await p.context.close();
  });

  it('older sends behind More; at 360 px the form and the list fit without sideways scrolling', async () => {
    // 60 more, queued in two calls of 30 (a bulk call takes 50 at most): 62 in all, 50 on the first page
    for (const first of [0, 30]) {
      const bulk = await h.admin('/api/sms/send-bulk', {
        body: { messages: Array.from({ length: 30 }, (_, i) => ({ to: TO, message: `Bulk ${first + i + 1}`, deviceId: office.deviceId, sim: 1 })) },
      });
      expect(bulk.status).toBe(202);
      expect(bulk.json.results.every((r: { ok: boolean }) => r.ok)).toBe(true);
    }

    const o = await h.open({ viewport: LAPTOP, path: '/#/sms' });
    const { page } = o;
    await row(page, 'Bulk 60').waitFor();
    await expect(page.locator('tr.sms-row').count()).resolves.toBe(50);
    await expect(row(page, HEBREW).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'More' }).click();
    await row(page, HEBREW).waitFor();
    await expect(page.locator('tr.sms-row').count()).resolves.toBe(62);
    await expect(page.getByRole('button', { name: 'More' }).count()).resolves.toBe(0);
    // a refresh keeps both pages, and the statuses are current
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.locator('tr.sms-row').count()).toBe(62);
    await row(page, HEBREW).locator('.dt-pill').getByText('Delivered', { exact: true }).waitFor();

    // later: a wall-clock time in the chosen zone (Asia/Jerusalem unless changed) is sent as the instant it means
    const local = `${new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)}T09:30`;
    const at = new Date(zonedToUtc(local, 'Asia/Jerusalem')).toISOString();
    await page.getByLabel('To', { exact: true }).fill(TO);
    await page.getByLabel('Message', { exact: true }).fill('See you later');
    await expect(page.getByLabel('Time zone').inputValue()).resolves.toBe('Asia/Jerusalem');
    await page.getByLabel('Send at (optional)').fill(local);
    await page.getByText(`That is ${formatInZone(at, 'UTC')} UTC`).waitFor();
    await page.getByRole('button', { name: 'Schedule SMS' }).click();
    await page
      .getByRole('status')
      .getByText(`Scheduled for ${formatInZone(at, 'Asia/Jerusalem')} (Asia/Jerusalem) on Office phone, SIM 1`)
      .waitFor();
    await row(page, 'See you later').getByText('Not before').waitFor();
    expect((await h.admin('/api/sms?limit=1')).json.messages[0]).toMatchObject({ message: 'See you later', status: 'queued', scheduledFor: at });
    await page.getByRole('button', { name: 'Send SMS' }).waitFor();
    expect(o.problems()).toEqual([]);
    await o.context.close();

    const p = await h.open({ viewport: PHONE, path: '/#/sms' });
    await p.page.getByRole('button', { name: 'Menu' }).waitFor();
    await row(p.page, 'Bulk 60').waitFor();
    await p.page.getByLabel('To', { exact: true }).fill(TO);
    await p.page.getByLabel('Message', { exact: true }).fill(HEBREW);
    await (await counter(p.page)).getByText('UCS-2 because of:').waitFor();
    expect(await overflowsSideways(p.page)).toBe(false);
    // the send at 360 px too (the phone checks in first, so it is still healthy however long the test took)
    expect((await phone.sims(SIMS)).status).toBe(200);
    await p.page.getByRole('button', { name: 'Send SMS' }).click();
    await p.page.getByRole('status').getByText('Queued on Office phone, SIM 1: UCS-2, 1 part.').waitFor();
    await expect(p.page.locator('tr.sms-row').first().getByText(HEBREW).count()).resolves.toBe(1);
    expect(await overflowsSideways(p.page)).toBe(false);
    // the top of the list (the whole page is 50 cards long)
    await p.page.getByRole('heading', { name: 'Recent SMS' }).scrollIntoViewIfNeeded();
    await p.page.screenshot({ path: join(SCREENSHOT_DIR, 'sms-phone-list.png') });
    expect(p.problems()).toEqual([]);
    await p.context.close();
  });
});
