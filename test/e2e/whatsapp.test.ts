// WhatsApp end to end over the sandbox: the real Worker on the serving runtime, the real bridge process,
// a local webhook receiver. Add a number, scan, receive, auto-reply, reject a call, send, and survive
// a killed bridge and a restarted Worker without losing or repeating anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-wa-'));
let system: RunningSystem;
let receiver: Receiver;
let key: string;
let whsec: string;
const box = () => receiver.box('wa');

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true', GROUP_SEND_DELAY_MS: '200-300' } });
  key = system.admin.apiKey!;
});

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${system.url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { 'content-type': 'application/json', 'x-api-key': key, ...init.headers },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, json: type.includes('json') ? ((await res.json()) as any) : undefined };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) {
      const deliveries = await fetch(`${system.url}/api/webhook-deliveries?limit=20`, { headers: { 'x-api-key': key } }).then((r) => r.text());
      throw new Error(
        `timed out waiting for ${what}\nreceived: ${box()
          .received.map((r) => r.body)
          .join('\n')}\ndeliveries: ${deliveries}\n${system.logs()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const events = (name: string) =>
  box()
    .received.map((r) => ({ r, body: JSON.parse(r.body) }))
    .filter((e) => e.body.event === name);

describe('WhatsApp over the sandbox, end to end', () => {
  it('adds a number with a PNG QR code and pairs it by scanning', async () => {
    const added = await api('/api/add-number', { body: { clientId: 'shop', phoneNumber: '12345678901' } });
    expect(added.status).toBe(200);
    expect(added.json.status).toBe('pending_auth');
    const png = Buffer.from(added.json.qrCode.replace('data:image/png;base64,', ''), 'base64');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const qr = await fetch(`${system.url}/api/qr/shop`, { headers: { 'x-api-key': key } });
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toBe('image/png');

    box().script = [];
    const hook = await api('/api/update-webhook', { body: { clientId: 'shop', webhookUrl: `${receiver.url}/hook/wa` } });
    whsec = hook.json.webhookSecret;

    const scanned = await api('/api/sandbox/shop/scan', { method: 'POST' });
    expect(scanned.json).toEqual({ status: 'connected', connectedNumber: '12345678901@c.us' });
    const clients = await until('Authenticated', async () => {
      const list = (await api('/api/clients')).json;
      return list[0]?.status === 'Authenticated' ? list : undefined;
    });
    expect(clients[0]).toMatchObject({ clientId: 'shop', connectedNumber: '12345678901@c.us' });
    const status = await until('client_status', () => events('client_status').find((e) => e.body.data.status === 'connected'));
    expect(status.body.data).toMatchObject({ clientId: 'shop', connectedNumber: '12345678901@c.us' });
    expect(status.r.headers['x-api-key']).toBe(clients[0].apiKey);
    expect((await api('/api/qr/shop')).status).toBe(404);
  });

  it("receives a message and sends the webhook's response back to the sender", async () => {
    box().fallback = { status: 200, body: { status: 'success', response: 'Thanks! We will answer soon.' } };
    const inbound = await api('/api/sandbox/shop/inbound', { body: { from: '+15550000001', message: 'שלום, hello 👋' } });
    expect(inbound.status).toBe(200);
    const received = await until('message_received', () => events('message_received')[0]);
    expect(new Webhook(whsec).verify(received.r.body, received.r.headers)).toMatchObject({
      event: 'message_received',
      data: { from: '15550000001', to: 'shop', body: 'שלום, hello 👋', message: 'שלום, hello 👋', type: 'received_message' },
    });
    const reply = await until('auto-reply in the network', async () =>
      ((await api('/api/sandbox/shop/outbox')).json as any[]).find((m) => m.to === '15550000001'),
    );
    expect(reply).toMatchObject({ body: 'Thanks! We will answer soon.', type: 'chat' });
    const list = (await api('/api/received-messages/shop')).json;
    expect(list.messages[0]).toMatchObject({ client_id: 'shop', sender: '15550000001', message: 'שלום, hello 👋' });
    await until('message_sent webhook', () => events('message_sent').find((e) => e.body.data.to === '15550000001'));

    // replaying the delivery sends the webhook again, but never the reply a second time
    const delivery = (await api('/api/webhook-deliveries?event=message_received')).json.deliveries[0];
    expect((await api(`/api/webhook-deliveries/${delivery.id}/replay`, { method: 'POST' })).status).toBe(200);
    await until('replayed webhook', () => events('message_received').length === 2);
    await new Promise((r) => setTimeout(r, 500));
    const replies = ((await api('/api/sandbox/shop/outbox')).json as any[]).filter((m) => m.to === '15550000001');
    expect(replies).toHaveLength(1);
  });

  it("rejects a call and sends the webhook's rejectionMessage to the caller", async () => {
    box().fallback = { status: 200, body: { status: 'success', rejectionMessage: 'Busy — text me instead.' } };
    const call = await api('/api/sandbox/shop/call', { body: { from: '15550000002', isVideo: true } });
    expect(call.json.rejected).toBe(true);
    const rejected = await until('call_rejected', () => events('call_rejected')[0]);
    expect(rejected.body.data).toMatchObject({ from: '15550000002', to: 'shop', isVideo: true, type: 'call_rejected' });
    const sent = await until('rejection message', async () => ((await api('/api/sandbox/shop/outbox')).json as any[]).find((m) => m.to === '15550000002'));
    expect(sent.body).toBe('Busy — text me instead.');
    expect((await api('/api/incoming-calls/shop')).json.calls[0]).toMatchObject({
      client_id: 'shop',
      call_from: '15550000002@c.us',
      is_video: true,
      end_time: null,
    });
    expect((await api('/api/call-logs')).json.calls[0]).toMatchObject({ call_from: '15550000002@c.us' });
  });

  it('sends through the API once per Idempotency-Key, with message_sent and acks', async () => {
    box().fallback = { status: 200, body: { status: 'success' } };
    const body = { clientId: 'shop', number: '+972501234567', message: 'מה שלומך? 😀' };
    const first = await api('/api/send-message', { body, headers: { 'idempotency-key': 'order-42' } });
    expect(first.status).toBe(200);
    const again = await api('/api/send-message', { body, headers: { 'idempotency-key': 'order-42' } });
    expect(again.json).toEqual(first.json);
    const network = ((await api('/api/sandbox/shop/outbox')).json as any[]).filter((m) => m.to === '972501234567');
    expect(network).toHaveLength(1);
    expect(network[0].body).toBe('מה שלומך? 😀');
    const acks = await until('delivered and read acks', () => {
      const a = events('message_ack').filter((e) => e.body.data.messageId === first.json.messageId);
      return a.length >= 2 ? a : undefined;
    });
    expect(acks.map((a) => a.body.data.status)).toEqual(['delivered', 'read']);
    const sent = await until('status read', async () =>
      ((await api('/api/sent-messages')).json as any[]).find((m) => m.messageId === first.json.messageId && m.status === 'read'),
    );
    expect(sent).toMatchObject({ clientId: 'shop', senderNumber: '12345678901', recipient: '972501234567', message: 'מה שלומך? 😀' });
    expect((await api('/api/send-message', { body: { ...body, message: 'other' }, headers: { 'idempotency-key': 'order-42' } })).status).toBe(409);
  });

  it('refuses bad media with 400 MEDIA_ERROR and bad numbers with 400; media that cannot be fetched fails with message_failed', async () => {
    const bad = await api('/api/send-message', { body: { clientId: 'shop', number: '12345678901', mediaUrl: 'https://example.com/file.exe' } });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('MEDIA_ERROR');
    // the bridge finds out: with a wait the refusal is the answer; without, a message_failed webhook says it
    const missing = await api('/api/send-message', {
      body: { clientId: 'shop', number: '12345678901', mediaUrl: `${receiver.url}/nothing-here.jpg`, wait: true },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.code).toBe('MEDIA_ERROR');
    const queued = await api('/api/send-message', { body: { clientId: 'shop', number: '12345678901', mediaUrl: `${receiver.url}/still-nothing.jpg` } });
    expect(queued.json.status).toBe('queued');
    const failed = await until('message_failed', () => events('message_failed').find((e) => e.body.data.messageId === queued.json.messageId));
    expect(failed.body.data).toMatchObject({ code: 'MEDIA_ERROR', to: '12345678901' });
    expect((await api(`/api/messages/${queued.json.messageId}`)).json).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^MEDIA_ERROR/) });
    expect((await api('/api/send-message', { body: { clientId: 'shop', number: 'abc', message: 'x' } })).status).toBe(400);
    expect((await api('/api/send-message', { body: { clientId: 'nope', number: '12345678901', message: 'x' } })).status).toBe(404);
  });

  it('while the bridge is down a send is queued, and it goes once the bridge is back — once', async () => {
    await system.bridge.kill();
    await until('bridge disconnected', async () => (await api('/health')).json.bridge === 'disconnected');
    const down = await api('/api/send-message', { body: { clientId: 'shop', number: '15550000001', message: 'while down' } });
    expect(down.json).toMatchObject({ success: true, status: 'queued' });
    await until('the attempt seen to wait', async () => (await api(`/api/messages/${down.json.messageId}`)).json.reason?.startsWith('BRIDGE_UNAVAILABLE'));
    expect((await api('/api/clients/shop/queue')).json).toMatchObject({ depth: 1 });
    await system.bridge.start();
    await until('sent after the outage', async () => (await api(`/api/messages/${down.json.messageId}`)).json.status !== 'queued', 60_000);
    const network = ((await api('/api/sandbox/shop/outbox')).json as any[]).filter((m) => m.body === 'while down');
    expect(network).toHaveLength(1);
    await until('message_sent', () => events('message_sent').find((e) => e.body.data.messageId === down.json.messageId));
    expect((await api('/api/clients/shop/queue')).json).toMatchObject({ depth: 0 });
  });

  it('loses and repeats nothing across a restarted Worker: events wait in the bridge outbox', async () => {
    const sent = await api('/api/send-message', { body: { clientId: 'shop', number: '15550000002', message: 'ack me later', wait: true } });
    expect(sent.json.status).toBe('sent');
    await system.worker.restart(); // acks (delivered 0.5 s, read 1 s later) are produced while the Worker is down
    await until('bridge relinked', async () => (await api('/health')).json.bridge === 'connected', 60_000);
    const acks = await until(
      'acks after restart',
      () => {
        const a = events('message_ack').filter((e) => e.body.data.messageId === sent.json.messageId);
        return a.length >= 2 ? a : undefined;
      },
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const all = events('message_ack').filter((e) => e.body.data.messageId === sent.json.messageId);
    expect(all.map((a) => a.body.data.status).sort()).toEqual(['delivered', 'read']);
    expect(new Set(all.map((a) => a.r.headers['webhook-id'])).size).toBe(2);
    expect(acks).toHaveLength(2);
  });

  it("lists groups and channels and sends to groups by the spec's rules, UTF-8 intact", async () => {
    await api('/api/sandbox/shop/inbound', { body: { from: '15550000001', message: 'בוקר טוב 🌞', groupId: '120363000000000001@g.us' } });
    const list = await until('group activity', async () => {
      const r = (await api('/api/groups/shop')).json;
      return r.groups?.find((g: any) => g.lastMessage) ? r : undefined;
    });
    expect(list.total).toBe(3);
    expect(list.groups.map((g: any) => g.name)).toEqual(['Sandbox Team', 'הודעות']);
    expect(list.groups[0]).toMatchObject({
      id: '120363000000000001@g.us',
      participants: 3,
      isReadOnly: false,
      type: 'group',
      lastMessage: { body: 'בוקר טוב 🌞', fromMe: false },
    });
    expect(list.groups[1]).toMatchObject({ isReadOnly: true, type: 'group' });
    expect(list.channels[0]).toMatchObject({ id: '120363000000000003@newsletter', type: 'channel', isReadOnly: true });

    const t0 = Date.now();
    const sent = await api('/api/send-group-message', { body: { clientId: 'shop', groupId: '120363000000000001@g.us', message: 'שלום לכולם! مرحبا 👋' } });
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({
      success: true,
      groupId: '120363000000000001@g.us',
      groupName: 'Sandbox Team',
      message: { body: 'שלום לכולם! مرحبا 👋', type: 'chat', status: 'queued' },
    });
    // the group delay (200–300 ms here) holds it in the queue, not the request
    const status = await until('group message sent', async () => {
      const s = (await api(`/api/messages/${sent.json.message.id._serialized}`)).json;
      return s.status === 'sent' ? s : undefined;
    });
    const inNetwork = ((await api('/api/sandbox/shop/outbox')).json as any[]).find((m) => m.id === status.whatsappId);
    expect(inNetwork).toMatchObject({ to: '120363000000000001@g.us', body: 'שלום לכולם! مرحبا 👋' });
    expect(inNetwork.timestamp - t0).toBeGreaterThanOrEqual(200);

    const send = (body: Record<string, unknown>) => api('/api/send-group-message', { body: { clientId: 'shop', ...body } });
    expect((await send({ groupId: '120363000000000002@g.us', message: 'x' })).json.code).toBe('READ_ONLY_CHAT');
    expect((await send({ groupId: '120363000000000003@newsletter', message: 'x' })).status).toBe(403);
    const missing = await send({ groupId: '120363999999999999@g.us', message: 'x' });
    expect([missing.status, missing.json.code]).toEqual([404, 'GROUP_NOT_FOUND']);
    const notGroup = await send({ groupId: '15550000001@c.us', message: 'x' });
    expect([notGroup.status, notGroup.json.code]).toEqual([400, 'INVALID_CHAT_TYPE']);
    expect((await send({ groupId: '120363000000000001@g.us', mediaUrl: 'https://example.com/a.jpg' })).status).toBe(400);
    expect((await send({ groupId: '120363000000000001@g.us', message: 'x'.repeat(4097) })).status).toBe(400);
    expect((await send({ groupId: '120363000000000001@g.us', mediaUrl: 'https://example.com/a.exe', mediaType: 'document' })).json.code).toBe('MEDIA_ERROR');
    expect((await api('/api/send-group-message', { body: { clientId: 'nope', groupId: '120363000000000001@g.us', message: 'x' } })).json.code).toBe(
      'CLIENT_NOT_FOUND',
    );

    // the dashboard route: session only
    const login = await fetch(`${system.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: system.admin.username, password: system.admin.password }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const viaSession = await fetch(`${system.url}/api/groups/shop/120363000000000001@g.us/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ message: 'from the dashboard ✅' }),
    });
    expect(viaSession.status).toBe(200);
    expect(((await viaSession.json()) as any).message.body).toBe('from the dashboard ✅');
    expect((await api('/api/groups/shop/120363000000000001@g.us/send', { body: { message: 'key only' } })).status).toBe(401);
    const groupsBySession = await fetch(`${system.url}/api/groups/shop`, { headers: { cookie } });
    expect(groupsBySession.status).toBe(200);
  });

  it('sends a scheduled message at its second, once, with its message_sent webhook', async () => {
    const at = new Date(Date.now() + 2500);
    const made = await api('/api/schedule-message', {
      body: { clientId: 'shop', number: '+15550000001', message: 'on time ⏰', scheduleTime: at.toISOString() },
    });
    expect(made.status).toBe(200);
    const sent = await until(
      'scheduled send',
      async () => {
        const list = (await api('/api/scheduled-messages?status=sent')).json as any[];
        return list.find((m) => m.id === made.json.id);
      },
      20_000,
    );
    const lateness = Date.parse(sent.sentTime) - at.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(5000);
    const inNetwork = ((await api('/api/sandbox/shop/outbox')).json as any[]).filter((m) => m.body === 'on time ⏰');
    expect(inNetwork).toHaveLength(1);
    await until('message_sent for it', () => events('message_sent').find((e) => e.body.data.message === 'on time ⏰'));
  });

  it('deleting the client logs the session out', async () => {
    const login = await fetch(`${system.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: system.admin.username, password: system.admin.password }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const del = await fetch(`${system.url}/clients/shop`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ password: system.admin.password }),
    });
    expect(del.status).toBe(200);
    expect((await api('/api/clients')).json).toEqual([]);
    const again = await api('/api/add-number', { body: { clientId: 'shop', phoneNumber: '12345678901' } });
    expect(again.json.status).toBe('pending_auth');
    expect(again.json.qrCode).toMatch(/^data:image\/png;base64,/);
  });
});
