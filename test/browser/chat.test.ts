// /chat in a real browser against the whole system (sandbox transport): pick a client, read a chat (it is marked
// read), Hebrew and Arabic right-to-left, reply with Enter (Shift+Enter a new line) and by media URL, messages,
// acks and reactions arriving live, received media shown from the media route, groups and channels (no composer
// where only admins write), and the phone layout (list or thread, a back button, no sideways scroll).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAPTOP, type Opened, overflowsSideways, PHONE, startPages, type PagesHarness } from './pages.ts';

const CLIENT = 'chat-main';
/** added first: the page's default until the user picks */
const OTHER = 'chat-other';
const ADA = '15550000001';
const ALAN = '15550000002';
const TEAM = '120363000000000001@g.us';
const HEBREW = 'שלום, מה שלומך?';
const ARABIC = 'مرحبا، كيف حالك؟';

let h: PagesHarness;
let files: Server;
let filesUrl: string;
const privateUrls = process.env.ALLOW_PRIVATE_WEBHOOK_URLS;

const inbound = async (body: { from: string; message?: string; mediaUrl?: string; groupId?: string }): Promise<string> => {
  const r = await h.admin(`/api/sandbox/${CLIENT}/inbound`, { body });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.messageId;
};
/** Reads through the page's own login (the dashboard's limiter), not the admin key (whose limiter a poll would use up). */
const reads = (o: Opened) => {
  const get = async (path: string) => (await o.context.request.get(`${h.system.url}${path}`)).json();
  return {
    outbox: (): Promise<{ to: string; body: string; type: string }[]> => get(`/api/sandbox/${CLIENT}/outbox`),
    unreadOf: async (number: string) => (await get(`/api/chats/${CLIENT}`)).chats.find((c: any) => c.id._serialized === `${number}@c.us`)?.unreadCount,
  };
};
const POLL = { interval: 250, timeout: 15_000 };
const direction = (el: unknown) => (globalThis as any).getComputedStyle(el).direction as string;

beforeAll(async () => {
  // the sandbox fetches an inbound message's media by its URL through the URL guard: a file server on this
  // machine is a private host, allowed for this system only
  process.env.ALLOW_PRIVATE_WEBHOOK_URLS = 'true';
  const png = await QRCode.toBuffer('Switchboard chat', { type: 'png', width: 240, margin: 2 });
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  files = createServer((req, res) => {
    const file = req.url === '/photo.png' ? { type: 'image/png', data: png } : req.url === '/report.pdf' ? { type: 'application/pdf', data: pdf } : null;
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.data.length }).end(file.data);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

  h = await startPages();
  for (const [clientId, phoneNumber] of [
    [OTHER, '15557770001'],
    [CLIENT, '15557770002'],
  ]) {
    const added = await h.admin('/api/add-number', { body: { clientId, phoneNumber } });
    expect(added.status, JSON.stringify(added.json)).toBeLessThan(300);
  }
  // the QR code is ready once the session started
  const deadline = Date.now() + 20_000;
  let scan = await h.admin(`/api/sandbox/${CLIENT}/scan`, { method: 'POST' });
  while (scan.status !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    scan = await h.admin(`/api/sandbox/${CLIENT}/scan`, { method: 'POST' });
  }
  expect(scan.status, JSON.stringify(scan.json)).toBe(200);
});

afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => files?.close(resolve));
  if (privateUrls === undefined) delete process.env.ALLOW_PRIVATE_WEBHOOK_URLS;
  else process.env.ALLOW_PRIVATE_WEBHOOK_URLS = privateUrls;
});

describe('/chat', () => {
  let first: string;

  it('reads, replies, and follows a chat live at 1366 px', async () => {
    first = await inbound({ from: ADA, message: HEBREW });
    const o = await h.open({ viewport: LAPTOP, path: '/chat' });
    const { page } = o;
    const { outbox, unreadOf } = reads(o);

    // pick the client: the chat is there, newest first, with its unread count and an RTL preview
    const picker = page.getByLabel('Client');
    await expect.poll(() => picker.inputValue()).toBe(OTHER);
    await picker.selectOption(CLIENT);
    const ada = page.getByRole('button', { name: /Ada Lovelace/ });
    await ada.waitFor();
    expect(await ada.locator('.conv-unread').textContent()).toMatch(/^1\b/);
    const preview = ada.locator('.conv-preview');
    expect(await preview.getAttribute('dir')).toBe('auto');
    expect(await preview.evaluate(direction)).toBe('rtl');

    // opening it marks it read, here and on the server
    await ada.click();
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    await expect.poll(() => ada.locator('.conv-unread').count()).toBe(0);
    await expect.poll(() => unreadOf(ADA), POLL).toBe(0);

    // the Hebrew message reads right to left
    const hebrew = page.locator(`li[data-id="${first}"] .msg-body`);
    expect(await hebrew.textContent()).toBe(HEBREW);
    expect(await hebrew.getAttribute('dir')).toBe('auto');
    expect(await hebrew.evaluate(direction)).toBe('rtl');

    // a reply: Enter sends; it shows, reaches the network, and its ticks turn to read live
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Thanks, all good!');
    await box.press('Enter');
    const reply = page.locator('.msg-out', { hasText: 'Thanks, all good!' });
    await reply.waitFor();
    await expect.poll(() => box.inputValue()).toBe('');
    await expect.poll(async () => (await outbox()).some((m) => m.to === ADA && m.body === 'Thanks, all good!'), POLL).toBe(true);
    await reply.getByRole('img', { name: 'Read' }).waitFor();

    // Shift+Enter is a new line, not a send
    await box.fill('line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    expect(await box.inputValue()).toBe('line one\nline two');
    await box.press('Enter');
    const twoLines = page.locator('.msg-out .msg-body', { hasText: 'line two' });
    await twoLines.waitFor();
    expect(await twoLines.textContent()).toBe('line one\nline two');

    // a new message arrives live (no reload), right to left, and the open chat stays read
    const arabicId = await inbound({ from: ADA, message: ARABIC });
    const arabic = page.locator(`li[data-id="${arabicId}"] .msg-body`);
    await arabic.waitFor();
    expect(await arabic.evaluate(direction)).toBe('rtl');
    await expect.poll(() => unreadOf(ADA), POLL).toBe(0);
    expect(await ada.locator('.conv-unread').count()).toBe(0);

    // a reaction arrives live
    expect((await h.admin(`/api/sandbox/${CLIENT}/react`, { body: { from: ADA, messageId: first, emoji: '👍' } })).status).toBe(200);
    await page
      .locator(`li[data-id="${first}"]`)
      .getByRole('img', { name: /Reactions: 👍/ })
      .waitFor();

    // another chat writes: it comes to the top of the list with its unread count
    await inbound({ from: ALAN, message: 'Are you there?' });
    const alan = page.getByRole('button', { name: /Alan Turing/ });
    await alan.waitFor();
    expect(await alan.locator('.conv-unread').textContent()).toMatch(/^1\b/);
    expect((await page.locator('.conv-name').allInnerTexts()).slice(0, 2)).toEqual(['Alan Turing', 'Ada Lovelace']);

    // received media: the image inline and the document as a download, both from the media route
    const photo = await inbound({ from: ADA, mediaUrl: `${filesUrl}/photo.png` });
    const img = page.locator(`li[data-id="${photo}"] img`);
    await img.waitFor();
    expect(await img.getAttribute('src')).toBe(`/api/chats/${CLIENT}/media/${photo}`);
    await expect.poll(() => img.evaluate((el: any) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
    const doc = await inbound({ from: ADA, mediaUrl: `${filesUrl}/report.pdf`, message: 'The report' });
    const link = page.locator(`li[data-id="${doc}"] a[download]`);
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`/api/chats/${CLIENT}/media/${doc}`);
    await expect.poll(() => unreadOf(ADA), POLL).toBe(0);

    // media by URL from the composer, with a caption; a refused send says why and keeps the caption
    await page.getByRole('button', { name: 'Attach media by URL' }).click();
    await page.getByLabel('Media URL').fill('ftp://example.com/photo.png');
    await box.fill('A photo for you');
    await box.press('Enter');
    const refused = page.getByRole('alert');
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/url|media/i);
    expect(await box.inputValue()).toBe('A photo for you');
    await page.getByLabel('Media URL').fill(`${filesUrl}/photo.png`);
    await box.press('Enter');
    await expect.poll(async () => (await outbox()).some((m) => m.to === ADA && m.type === 'image' && m.body === 'A photo for you'), POLL).toBe(true);
    await page.locator('.msg-out', { hasText: 'A photo for you' }).locator('.media-chip').waitFor();

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('chat-desktop');
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it('lists groups and channels; read-only ones have no composer, a writable one sends', async () => {
    const o = await h.open({ viewport: LAPTOP, path: `/chat#${CLIENT}` });
    const { page } = o;
    const { outbox } = reads(o);
    await page.getByRole('tab', { name: 'Groups & channels' }).click();
    const team = page.getByRole('button', { name: /Sandbox Team/ });
    const announcements = page.getByRole('button', { name: /הודעות/ });
    const news = page.getByRole('button', { name: /Sandbox News/ });
    for (const row of [team, announcements, news]) await row.waitFor();
    expect(await page.getByRole('list', { name: 'Channels' }).getByRole('button').count()).toBe(1);

    const box = page.getByRole('textbox', { name: 'Message' });
    await announcements.click();
    await page.getByRole('heading', { name: 'הודעות' }).waitFor();
    expect(await page.getByRole('note').textContent()).toMatch(/Only admins can send to this group/);
    expect(await box.count()).toBe(0);
    await news.click();
    await page.getByRole('heading', { name: 'Sandbox News' }).waitFor();
    expect(await page.getByRole('note').textContent()).toMatch(/channel: only its admins post/);
    expect(await box.count()).toBe(0);

    await team.click();
    await page.getByRole('heading', { name: 'Sandbox Team' }).waitFor();
    const said = await inbound({ from: ALAN, groupId: TEAM, message: 'Team update' });
    await page.locator(`li[data-id="${said}"] .msg-sender`).waitFor();
    await box.fill('Hello team');
    await box.press('Enter');
    await page.locator('.msg-out .msg-body', { hasText: 'Hello team' }).waitFor();
    await expect.poll(async () => (await outbox()).some((m) => m.to === TEAM && m.body === 'Hello team'), { ...POLL, timeout: 20_000 }).toBe(true);
    // the queued copy becomes the sent one (one bubble), with its ticks
    await page
      .locator('.msg-out', { hasText: 'Hello team' })
      .getByRole('img', { name: /Sent|Delivered|Read/ })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('.msg-out', { hasText: 'Hello team' }).count()).toBe(1);

    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('chat-groups');
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });

  it('reconnects the live socket by itself when the server restarts, and catches up', async () => {
    const o = await h.open({ viewport: LAPTOP, path: `/chat#${CLIENT}/${encodeURIComponent(`${ADA}@c.us`)}` });
    const { page } = o;
    await page.locator(`li[data-id="${first}"]`).waitFor();
    await page.getByRole('status').filter({ hasText: 'Connected as' }).waitFor();
    const reconnects: string[] = [];
    page.on('websocket', (ws) => reconnects.push(ws.url()));
    await h.system.worker.restart();
    // the bridge links again to the restarted Worker
    await expect
      .poll(async () => ((await (await fetch(`${h.system.url}/health`)).json()) as { bridge?: string }).bridge, { ...POLL, timeout: 60_000 })
      .toBe('connected');
    // the network may still be holding it (202) if the bridge has not linked again yet: it arrives either way
    const sentAfter = await h.admin(`/api/sandbox/${CLIENT}/inbound`, { body: { from: ADA, message: 'After the restart' } });
    expect([200, 202]).toContain(sentAfter.status);
    const after = sentAfter.json.messageId as string;
    await page.locator(`li[data-id="${after}"]`).waitFor({ timeout: 30_000 });
    await page.getByRole('status').filter({ hasText: 'Connected as' }).waitFor();
    expect(reconnects.length).toBeGreaterThan(0);
    // while the server was away the browser reported the socket's failed attempts; nothing else
    expect(o.problems().filter((p) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(p))).toEqual([]);
    await o.context.close();
  });

  it('on a 360 px phone: the list or the thread, a back button, the client from the link, no sideways scroll', async () => {
    const o = await h.open({ viewport: PHONE, path: `/chat#${CLIENT}` });
    const { page } = o;
    await expect.poll(() => page.getByLabel('Client').inputValue()).toBe(CLIENT);
    expect(await page.getByRole('link', { name: 'Dashboard' }).getAttribute('href')).toBe('/');
    const ada = page.getByRole('button', { name: /Ada Lovelace/ });
    await ada.waitFor();
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('chat-phone-list');

    await ada.click();
    const back = page.getByRole('button', { name: 'Back to chats' });
    await back.waitFor();
    await page.locator(`li[data-id="${first}"]`).waitFor();
    expect(await ada.isVisible()).toBe(false);
    expect(await page.getByRole('textbox', { name: 'Message' }).isVisible()).toBe(true);
    expect(await overflowsSideways(page)).toBe(false);
    await o.shot('chat-phone');

    await back.click();
    await ada.waitFor();
    expect(await back.isVisible()).toBe(false);
    expect(o.problems()).toEqual([]);
    await o.context.close();
  });
});
