// Chats over the sandbox, end to end: private chats, messages (earliest first, acks, reactions),
// sending, reading, media bytes, and a live WebSocket that sees inbound messages and sends.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-chats-'));
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let system: RunningSystem;
let files: Server;
let filesUrl: string;
let key: string;

beforeAll(async () => {
  files = createServer((req, res) => (req.url === '/photo.png' ? res.writeHead(200, { 'content-type': 'image/png' }).end(PNG) : res.writeHead(404).end()));
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true' } });
  key = system.admin.apiKey!;
});

afterAll(async () => {
  await system?.stop();
  await new Promise<void>((r) => files.close(() => r()));
  rmSync(stateDir, { recursive: true, force: true });
});

async function api(path: string, body?: unknown, extra: Record<string, string> = { 'x-api-key': '' }) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (headers['x-api-key'] === '') headers['x-api-key'] = key;
  const res = await fetch(`${system.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    headers: res.headers,
    json: type.includes('json') ? ((await res.json()) as any) : undefined,
    bytes: type.includes('json') ? undefined : Buffer.from(await res.arrayBuffer()),
  };
}

const until = async <T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

it('holds a conversation through the chat routes with live updates', async () => {
  await api('/api/add-number', { clientId: 'shop', phoneNumber: '12345678901' });
  await api('/api/sandbox/shop/scan', {});

  const frames: any[] = [];
  const ws = new WebSocket(`${system.url.replace('http', 'ws')}/api/chats/shop/live`, { headers: { 'x-api-key': key } });
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  await until('hello', () => frames.find((f) => f.type === 'hello'));

  const inbound = await api('/api/sandbox/shop/inbound', { from: '15550000001', message: 'שלום! 👋 مرحبا' });
  const pushed = await until('inbound pushed', () => frames.find((f) => f.type === 'message' && f.message.id._serialized === inbound.json.messageId));
  expect(pushed).toMatchObject({ chatId: '15550000001@c.us', message: { body: 'שלום! 👋 مرحبا', fromMe: false } });

  const chats = await until('chat listed', async () => {
    const r = await api('/api/chats/shop');
    return r.json.chats.length ? r.json.chats : undefined;
  });
  expect(chats[0]).toMatchObject({
    id: { _serialized: '15550000001@c.us' },
    name: 'Ada Lovelace',
    unreadCount: 1,
    isMuted: false,
    pinned: false,
    lastMessage: { body: 'שלום! 👋 مرحبا', fromMe: false },
  });

  const sent = await api('/api/chats/shop/15550000001@c.us/send', { message: 'Hi Ada ✅' });
  expect(sent.status).toBe(200);
  expect(sent.json.message.body).toBe('Hi Ada ✅');
  await until('send pushed', () => frames.find((f) => f.type === 'message' && f.message.fromMe && f.message.body === 'Hi Ada ✅'));
  expect(((await api('/api/sandbox/shop/outbox')).json as any[]).at(-1)).toMatchObject({ to: '15550000001', body: 'Hi Ada ✅' });

  await api('/api/sandbox/shop/react', { from: '15550000001', messageId: sent.json.message.id._serialized, emoji: '👍' });
  const messages = await until('reaction stored', async () => {
    const r = await api('/api/chats/shop/15550000001@c.us/messages?limit=50');
    return r.json.messages.at(-1)?.hasReaction ? r.json.messages : undefined;
  });
  expect(messages.map((m: any) => [m.body, m.fromMe])).toEqual([
    ['שלום! 👋 مرحبا', false],
    ['Hi Ada ✅', true],
  ]);
  expect(messages[0]).toMatchObject({ type: 'chat', hasMedia: false, ack: 2, filename: null, reactions: null });
  expect(messages[1]).toMatchObject({ hasReaction: true, reactions: [{ reaction: '👍', senderId: '15550000001@c.us' }] });
  expect(messages[1].ack).toBeGreaterThanOrEqual(1);
  expect((await api('/api/chats/shop/15550000001@c.us/messages?limit=1')).json.messages.map((m: any) => m.body)).toEqual(['Hi Ada ✅']);

  expect((await api('/api/chats/shop/15550000001@c.us/read', {})).json).toEqual({ success: true });
  expect((await api('/api/chats/shop')).json.chats[0].unreadCount).toBe(0);
  expect((await api('/api/chats/shop/15550000001@c.us/messages')).json.messages[0].ack).toBe(3);

  // media: the bytes with the right headers; none for a text message
  const photo = await api('/api/sandbox/shop/inbound', { from: '15550000002', mediaUrl: `${filesUrl}/photo.png` });
  await until('media message', async () => (await api('/api/chats/shop/15550000002@c.us/messages')).json.messages[0]);
  const media = await api(`/api/chats/shop/media/${photo.json.messageId}`);
  expect(media.status).toBe(200);
  expect(media.headers.get('content-type')).toBe('image/png');
  expect(media.headers.get('content-disposition')).toContain('filename="photo.png"');
  expect(media.bytes!.equals(PNG)).toBe(true);
  expect((await api(`/api/chats/shop/media/${inbound.json.messageId}`)).status).toBe(404);
  const photoMsg = (await api('/api/chats/shop/15550000002@c.us/messages')).json.messages[0];
  expect(photoMsg).toMatchObject({ type: 'image', hasMedia: true, filename: 'photo.png' });

  // bad input and other users
  expect((await api('/api/chats/shop/not-a-chat/messages')).status).toBe(400);
  expect((await api('/api/chats/shop/15550000001@c.us/send', { message: '' })).status).toBe(400);
  expect((await api('/api/chats/nope')).json.code).toBe('CLIENT_NOT_FOUND');
  const other = await api('/api/admin/users', { username: 'otheruser', password: 'other-password' });
  expect((await api('/api/chats/shop', undefined, { 'x-api-key': other.json.apiKey })).status).toBe(404);
  expect((await api('/api/chats/shop/live')).status).toBe(426);

  // a dashboard session works too
  const login = await fetch(`${system.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: system.admin.username, password: system.admin.password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const bySession = await fetch(`${system.url}/api/chats/shop`, { headers: { cookie } });
  expect(bySession.status).toBe(200);
  ws.close();
});
