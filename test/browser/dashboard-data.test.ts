// The dashboard's Messages, Scheduling and Webhooks pages in a real browser, against the whole system
// (sandbox transport): history by number with cursor paging, scheduling in a time zone (stored as the
// right UTC instant, shown back in that zone), cancelling, deliveries with their attempts and last error,
// replay, and the event monitor showing an event that arrives while the page is open. Each page also at
// 360 px (no sideways scrolling), with no console errors or foreign requests, and a screenshot for review.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAPTOP, overflowsSideways, PHONE, type PagesHarness, startPages } from './pages.ts';

const CLIENT = 'shop';
const SENT = 25;
const ZONE = 'Asia/Jerusalem';
let h: PagesHarness;
const savedLimits = process.env.RATE_LIMITS;

const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const ok = async (path: string, init?: { method?: string; body?: unknown }) => {
  const res = await h.admin(path, init);
  if (res.status !== 200) throw new Error(`${init?.method ?? (init?.body ? 'POST' : 'GET')} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
};

const deliveries = async (event?: string): Promise<any[]> => (await ok(`/api/webhook-deliveries?limit=200${event ? `&event=${event}` : ''}`)).deliveries;

/** The next `month`/`day` at 09:30 that is at least two days ahead (the API takes at most a year ahead). */
function nextDate(month: number, day: number): string {
  const now = new Date();
  let year = now.getUTCFullYear();
  if (Date.UTC(year, month - 1, day) < now.getTime() + 2 * 86_400_000) year++;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const noSideways = async (page: Page) => expect(await overflowsSideways(page)).toBe(false);

beforeAll(async () => {
  // the setup and the pages make a few hundred calls from one address: more than the default `api` limit (100 per 15 min)
  process.env.RATE_LIMITS = JSON.stringify({ api: { limit: 5000, windowSec: 60 }, delete: { limit: 100, windowSec: 60 } });
  h = await startPages();
  await ok('/api/add-number', { body: { clientId: CLIENT, phoneNumber: '972501234567' } });
  await ok(`/api/sandbox/${CLIENT}/scan`, { method: 'POST' });
  for (let i = 1; i <= SENT; i++) {
    await ok('/api/send-message', { body: { clientId: CLIENT, number: '15550000001', message: `Paging ${String(i).padStart(2, '0')}`, wait: true } });
  }
  // a public-looking host: accepted, and every delivery to it fails here (no internet) and is retried
  await ok('/api/update-webhook', { body: { clientId: CLIENT, webhookUrl: 'https://hooks.example.com/x' } });
  await ok(`/api/sandbox/${CLIENT}/inbound`, { body: { from: '15550000001', message: 'שלום, מה שלומך?' } });
  await ok(`/api/sandbox/${CLIENT}/call`, { body: { from: '15550000002' } });
});

afterAll(async () => {
  await h?.close();
  if (savedLimits === undefined) delete process.env.RATE_LIMITS;
  else process.env.RATE_LIMITS = savedLimits;
});

describe('Messages page', () => {
  it('shows sent (paged), received and calls per number', async () => {
    const o = await h.open({ viewport: LAPTOP, path: '/#/messages' });
    const { page } = o;
    await page.getByRole('heading', { name: 'Messages', level: 1 }).waitFor();
    expect(await page.getByLabel('Client').inputValue()).toBe(CLIENT);

    // sent: 20 a page, newest first; the next page holds the oldest
    const sent = page.locator('tr.dt-sent');
    await until('the first page of sent messages', async () => (await sent.count()) === 20);
    await expect.poll(() => page.locator('tr.dt-sent', { hasText: `Paging ${SENT}` }).count()).toBe(1);
    expect(await page.locator('tr.dt-sent', { hasText: 'Paging 01' }).count()).toBe(0);
    expect(await page.locator('tr.dt-sent p.dt-body[dir="auto"]').count()).toBe(20);
    await o.shot('messages');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('tr.dt-sent', { hasText: 'Paging 01' }).waitFor();
    const second = await sent.count();
    expect(second).toBeGreaterThan(0);
    expect(second).toBeLessThan(20);
    await expect.poll(() => page.locator('.pager').textContent()).toContain('Page 2');
    expect(await page.getByRole('button', { name: 'Next page' }).count()).toBe(0);
    await page.getByRole('button', { name: 'First page' }).click();
    await page.locator('tr.dt-sent', { hasText: `Paging ${SENT}` }).waitFor();

    // received: the Hebrew message, its direction left to the text
    await page.getByRole('tab', { name: 'Received' }).click();
    const inbound = page.locator('tr.dt-received', { hasText: 'שלום, מה שלומך?' });
    await inbound.waitFor();
    expect(await inbound.textContent()).toContain('+15550000001');
    expect(await inbound.locator('[dir="auto"]').count()).toBe(1);
    expect(page.url()).toContain('tab=received');

    // calls: the rejected call, for this number and in the log of all numbers
    await page.getByRole('tab', { name: 'Calls' }).click();
    const call = page.locator('tr.dt-call', { hasText: '+15550000002' });
    await call.waitFor();
    expect(await call.textContent()).toMatch(/Voice call[\s\S]*Rejected/);
    await page.getByLabel('Client').selectOption('*');
    await page.locator('tr.dt-call', { hasText: CLIENT }).waitFor();
    expect(await page.getByRole('columnheader', { name: 'Number' }).count()).toBe(1);

    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it('fits a phone', async () => {
    const o = await h.open({ viewport: PHONE, path: '/#/messages' });
    await o.page.locator('tr.dt-sent').first().waitFor();
    await noSideways(o.page);
    await o.page.getByRole('tab', { name: 'Received' }).click();
    await o.page.locator('tr.dt-received').first().waitFor();
    await noSideways(o.page);
    await o.shot('messages-phone');
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });
});

describe('Scheduling page', () => {
  it('schedules in Asia/Jerusalem as the right UTC instant, lists it back in that zone, and cancels', async () => {
    const summer = nextDate(7, 1); // Israel is UTC+3 in summer
    const winter = nextDate(1, 15); // and UTC+2 in winter
    const o = await h.open({ viewport: LAPTOP, path: '/#/scheduling' });
    const { page } = o;
    await page.getByRole('heading', { name: 'Scheduling', level: 1 }).waitFor();
    expect(await page.getByLabel('Time zone').inputValue()).toBe(ZONE);
    expect(await page.getByLabel('Send at').getAttribute('type')).toBe('datetime-local');

    const schedule = async (message: string, local: string, utcHint: string) => {
      await page.getByLabel('Client').selectOption(CLIENT);
      await page.getByLabel('Number', { exact: true }).fill('15550000003');
      await page.getByLabel('Message', { exact: true }).fill(message);
      await page.getByLabel('Send at').fill(local);
      await page.getByText(`That is`).filter({ hasText: utcHint }).waitFor();
      await page.getByRole('button', { name: 'Schedule' }).click();
      await page.getByRole('status').filter({ hasText: `Scheduled for` }).filter({ hasText: utcHint }).waitFor();
    };
    await schedule('Summer hello', `${summer}T09:30`, '06:30 UTC');
    await schedule('Winter hello', `${winter}T09:30`, '07:30 UTC');

    const stored: any[] = await ok('/api/scheduled-messages');
    const summerRow = stored.find((m) => m.message === 'Summer hello');
    const winterRow = stored.find((m) => m.message === 'Winter hello');
    expect(new Date(summerRow.scheduleTime).toISOString()).toBe(`${summer}T06:30:00.000Z`);
    expect(new Date(winterRow.scheduleTime).toISOString()).toBe(`${winter}T07:30:00.000Z`);

    // listed back in Israel time (and UTC), pending
    const listed = (text: string) => page.locator('tr.dt-scheduled', { hasText: text });
    await listed('Summer hello').waitFor();
    const summerText = await listed('Summer hello').textContent();
    expect(summerText).toContain('09:30');
    expect(summerText).toContain('06:30 UTC');
    expect(summerText).toContain('Pending');
    expect(await listed('Summer hello').locator('time.dt-zoned').textContent()).toContain('09:30');
    const winterText = await listed('Winter hello').textContent();
    expect(await listed('Winter hello').locator('time.dt-zoned').textContent()).toContain('09:30');
    expect(winterText).toContain('07:30 UTC');
    await o.shot('scheduling');

    // another zone shows the same instants in it
    await page.getByLabel('Time zone').selectOption('UTC');
    await expect.poll(() => listed('Summer hello').locator('time.dt-zoned').textContent()).toContain('06:30');
    await page.getByLabel('Time zone').selectOption(ZONE);
    await expect.poll(() => listed('Summer hello').locator('time.dt-zoned').textContent()).toContain('09:30');

    // cancel the winter one
    await listed('Winter hello')
      .getByRole('button', { name: /^Cancel/ })
      .click();
    await page.getByRole('status').filter({ hasText: 'was cancelled' }).waitFor();
    await expect.poll(() => listed('Winter hello').textContent()).toContain('Cancelled');
    expect(
      await listed('Winter hello')
        .getByRole('button', { name: /^Cancel/ })
        .count(),
    ).toBe(0);
    const after: any[] = await ok('/api/scheduled-messages');
    expect(after.find((m) => m.message === 'Winter hello').status).toBe('cancelled');
    expect(after.find((m) => m.message === 'Summer hello').status).toBe('pending');

    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it("shows the API's refusal as a sentence", async () => {
    const o = await h.open({ viewport: LAPTOP, path: '/#/scheduling' });
    const { page } = o;
    await page.getByLabel('Client').selectOption(CLIENT);
    await page.getByLabel('Number', { exact: true }).fill('15550000003');
    await page.getByLabel('Message', { exact: true }).fill('Too late');
    await page.getByLabel('Send at').fill('2020-01-01T10:00');
    await page.getByRole('button', { name: 'Schedule' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('scheduleTime is in the past.');
    // the browser reports the refused request itself; nothing else went wrong
    expect(o.problems().filter((p) => !p.includes('status of 400'))).toEqual([]);
    await o.context.close();
  });

  it('fits a phone', async () => {
    const o = await h.open({ viewport: PHONE, path: '/#/scheduling' });
    await o.page.locator('tr.dt-scheduled').first().waitFor();
    await noSideways(o.page);
    await o.shot('scheduling-phone');
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });
});

describe('Webhooks page', () => {
  it('lists deliveries with attempts and last error, shows new events live, and replays', async () => {
    const o = await h.open({ viewport: LAPTOP, path: '/#/webhooks' });
    const { page } = o;
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();

    // the inbound message's delivery (among the messages received): tried, failed (no internet here), retrying
    await page.getByLabel('Event', { exact: true }).selectOption('message_received');
    const [first] = await deliveries('message_received');
    const firstRow = page.locator(`tr.dt-delivery[data-id="${first.id}"]`);
    await firstRow.waitFor();
    await expect.poll(() => firstRow.textContent()).toMatch(/Retrying/);
    const cells = firstRow.locator('td');
    expect(await cells.nth(0).textContent()).toContain('Message received');
    expect(await cells.nth(1).textContent()).toBe(CLIENT);
    expect(Number(await cells.nth(3).textContent())).toBeGreaterThanOrEqual(1);
    expect(await cells.nth(4).textContent()).toMatch(/HTTP 502|network error|timed out/);

    // an event that arrives while the page is open appears in the monitor, without a reload
    await page.evaluate(() => {
      (globalThis as unknown as { stillHere: boolean }).stillHere = true;
    });
    await page.locator('li.dt-event').first().waitFor();
    expect(await page.locator('li.dt-event-new').count()).toBe(0);
    await ok(`/api/sandbox/${CLIENT}/inbound`, { body: { from: '15550000004', message: 'Are you there?' } });
    // (how soon is the poll interval's business; under a loaded CI machine it may take longer than on a desk)
    await page.locator('li.dt-event-new[data-event="message_received"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('li.dt-event').first().getAttribute('data-event')).toBe('message_received');
    expect(await page.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await o.shot('webhooks');

    // one more message whose delivery fails for good: the webhook URL is removed as soon as the delivery exists,
    // so its next try — the first, or the second 5 s later if the first beat the removal — finds none
    const known = new Set((await deliveries('message_received')).map((d) => d.id));
    await ok(`/api/sandbox/${CLIENT}/inbound`, { body: { from: '15550000005', message: 'Replay me' } });
    const fresh = await until('its delivery', async () => (await deliveries('message_received')).find((d) => !known.has(d.id)));
    await ok('/api/update-webhook', { body: { clientId: CLIENT, webhookUrl: null } });
    await until('a failed delivery', async () => (await deliveries('message_received')).find((d) => d.id === fresh.id)?.status === 'dead', 30_000);
    await ok('/api/update-webhook', { body: { clientId: CLIENT, webhookUrl: 'https://hooks.example.com/x' } });

    // the page follows on its own: the row turns Failed with its last error; Replay queues it again
    const row = page.locator(`tr.dt-delivery[data-id="${fresh.id}"]`);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/Failed/);
    expect(await row.textContent()).toContain('the endpoint has no webhook URL');
    await row.getByRole('button', { name: /^Replay/ }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
    await expect.poll(() => row.textContent()).toContain('Queued again');
    expect((await deliveries('message_received')).find((d) => d.id === fresh.id).status).toBe('pending');

    // the filters ask the API
    expect(await page.locator('tr.dt-delivery', { hasNotText: 'Message received' }).count()).toBe(0);
    await page.getByLabel('Event', { exact: true }).selectOption('call_rejected');
    await expect.poll(() => page.locator('tr.dt-delivery').count()).toBe(1);
    expect(await page.locator('tr.dt-delivery').textContent()).toContain('Call rejected');
    await page.getByLabel('Event', { exact: true }).selectOption('');
    await page.getByLabel('Status', { exact: true }).selectOption('delivered');
    await page.getByText('No deliveries match.').waitFor();

    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it('fits a phone', async () => {
    const o = await h.open({ viewport: PHONE, path: '/#/webhooks' });
    await o.page.locator('tr.dt-delivery').first().waitFor();
    await o.page.locator('li.dt-event').first().waitFor();
    await noSideways(o.page);
    await o.shot('webhooks-phone');
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });
});
