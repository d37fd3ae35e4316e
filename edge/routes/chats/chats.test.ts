// Chat and group views at sizes that used to break D1's 100-parameter limit, and received media served
// so that it can never run as a page on the API's origin.
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFakeBridge, type FakeBridge } from '../../test/fake-bridge.ts';
import { addClient, call, login, newUser } from '../../test/helpers.ts';

let bridge: FakeBridge;
let key: string;
let clientId: string;
let clientRef: number;

const answers = new Map<string, (frame: any) => unknown>();

beforeAll(async () => {
  bridge = await connectFakeBridge();
  const base = bridge.answer;
  bridge.answer = (frame) => {
    const custom = answers.get(frame.op);
    return custom ? { ok: true, result: custom(frame) } : base(frame);
  };
  const u = await newUser();
  key = u.apiKey;
  ({ clientId } = await addClient(key));
  clientRef = (await env.DB.prepare('SELECT id FROM clients WHERE client_id = ?').bind(clientId).first<{ id: number }>())!.id;
});

afterAll(() => bridge.close());

async function insertReceived(rows: { id: string; chatId: string; groupId?: string; at: number; hasMedia?: boolean; body?: string }[]) {
  const stmt = env.DB.prepare(
    'INSERT INTO received_messages (client_ref, message_id, sender, chat_id, group_id, message, type, has_media, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (let i = 0; i < rows.length; i += 100) {
    await env.DB.batch(
      rows
        .slice(i, i + 100)
        .map((r) =>
          stmt.bind(
            clientRef,
            r.id,
            '15550000001',
            r.chatId,
            r.groupId ?? null,
            r.body ?? `m ${r.id}`,
            r.hasMedia ? 'document' : 'chat',
            r.hasMedia ? 1 : 0,
            r.at,
          ),
        ),
    );
  }
}

describe('sizes', () => {
  it('shows 500 messages of a chat, with their reactions', async () => {
    const chatId = '15550000001@c.us';
    const t0 = Date.now() - 1_000_000;
    await insertReceived(Array.from({ length: 600 }, (_, i) => ({ id: `BULK${i}`, chatId, at: t0 + i })));
    await env.DB.prepare("INSERT INTO reactions (client_ref, message_id, sender_id, reaction, at) VALUES (?, 'BULK599', '15550000002@c.us', '👍', ?)")
      .bind(clientRef, Date.now())
      .run();
    const res = await call(`/api/chats/${clientId}/${chatId}/messages?limit=500`, { key });
    expect(res.status).toBe(200);
    expect(res.json.messages).toHaveLength(500);
    expect(res.json.messages[0].id._serialized).toBe('BULK100'); // earliest → latest, the newest 500
    expect(res.json.messages.at(-1)).toMatchObject({
      id: { _serialized: 'BULK599' },
      hasReaction: true,
      reactions: [{ reaction: '👍', senderId: '15550000002@c.us' }],
    });
  });

  it('pages through every received message with the cursor, newest first', async () => {
    const ids: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await call(`/api/received-messages/${clientId}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { key });
      expect(res.status).toBe(200);
      expect(res.json.messages.length).toBeLessThanOrEqual(100);
      ids.push(...res.json.messages.map((m: any) => m.id));
      cursor = res.headers.get('x-next-cursor');
    }
    expect(ids.length).toBeGreaterThanOrEqual(600);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('lists 150 groups with their last activity', async () => {
    const groups = Array.from({ length: 150 }, (_, i) => ({
      id: `1203630000000${String(i).padStart(5, '0')}@g.us`,
      name: `Group ${i}`,
      description: null,
      type: 'group',
      isReadOnly: false,
      participants: 3,
      owner: null,
      createdAt: 1_700_000_000,
    }));
    answers.set('groups', () => groups);
    await insertReceived(groups.map((g, i) => ({ id: `G${i}`, chatId: g.id, groupId: g.id, at: Date.now() - i * 1000, body: `hello ${i}` })));
    const res = await call(`/api/groups/${clientId}`, { key });
    expect(res.status).toBe(200);
    expect(res.json.total).toBe(150);
    expect(res.json.groups[0]).toMatchObject({ id: groups[0]!.id, lastMessage: { body: 'hello 0', fromMe: false } });
    // a group's messages name who sent each (the page shows it above the text)
    const messages = await call(`/api/chats/${clientId}/${encodeURIComponent(groups[0]!.id)}/messages`, { key });
    expect(messages.json.messages).toEqual([expect.objectContaining({ body: 'hello 0', from: '15550000001' })]);
    answers.delete('groups');
  });
});

describe('chat list', () => {
  it('shows each chat from its summary: the newest message wins, a late older one changes nothing', async () => {
    const chatId = '15550000042@c.us';
    const send = (id: string, body: string, at: number, history = false) =>
      bridge.ws.send(
        JSON.stringify({
          t: 'event',
          id: `sum-${id}`,
          clientRef,
          at: Date.now(),
          event: {
            kind: 'message',
            messageId: id,
            from: '15550000042',
            chatId,
            fromMe: false,
            body,
            type: 'chat',
            timestamp: at,
            hasMedia: false,
            pushName: 'Dana',
            history,
          },
        }),
      );
    const now = Date.now();
    send('SUM-NEW', 'newest', now);
    send('SUM-OLD', 'older, from a late history sync', now - 60_000, true);
    await bridge.waitFor((f) => f.filter((x) => x.t === 'ack' && String(x.ids[0]).startsWith('sum-')).length >= 2);
    const list = await call(`/api/chats/${clientId}`, { key });
    const chat = list.json.chats.find((ch: any) => ch.id._serialized === chatId);
    // the history message is not unread; a re-sent event counts nothing twice
    expect(chat).toMatchObject({ name: 'Dana', lastMessage: { body: 'newest', fromMe: false }, unreadCount: 1 });
    send('SUM-NEW', 'newest', now);
    send('SUM-2ND', 'second', now + 1);
    await bridge.waitFor((f) => f.filter((x) => x.t === 'ack' && String(x.ids[0]).startsWith('sum-')).length >= 4);
    const again = (await call(`/api/chats/${clientId}`, { key })).json.chats.find((ch: any) => ch.id._serialized === chatId);
    expect(again).toMatchObject({ lastMessage: { body: 'second' }, unreadCount: 2 });
    await call(`/api/chats/${clientId}/${chatId}/read`, { method: 'POST', key });
    const after = (await call(`/api/chats/${clientId}`, { key })).json.chats.find((ch: any) => ch.id._serialized === chatId);
    expect(after.unreadCount).toBe(0);
  });
});

describe('live updates socket', () => {
  it('a cookie-authenticated upgrade is accepted from our own pages only', async () => {
    const u = await newUser();
    const own = await addClient(u.apiKey);
    const cookie = await login(u.username, u.password);
    const open = (origin: string) =>
      SELF.fetch(`http://sb.test/api/chats/${own.clientId}/live`, { headers: { upgrade: 'websocket', cookie, origin, 'cf-connecting-ip': '198.51.100.9' } });
    const evil = await open('https://evil.example');
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ code: 'ACCESS_DENIED' });
    const ours = await open('http://sb.test');
    expect(ours.status).toBe(101);
    ours.webSocket?.accept();
    ours.webSocket?.close();
  });

  it('a socket closes once the login it was opened with ends (checked on its pings, at most once a minute)', async () => {
    const u = await newUser();
    const own = await addClient(u.apiKey);
    const cookie = await login(u.username, u.password);
    const res = await SELF.fetch(`http://sb.test/api/chats/${own.clientId}/live`, {
      headers: { upgrade: 'websocket', cookie, origin: 'http://sb.test', 'cf-connecting-ip': '198.51.100.10' },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const closed = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)));
    const pongs: string[] = [];
    ws.addEventListener('message', (m) => pongs.push(String(m.data)));
    ws.accept();
    ws.send('ping');
    for (let i = 0; i < 50 && !pongs.includes('pong'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(pongs).toContain('pong'); // alive while the login is
    await call('/auth/logout', { method: 'POST', cookie, headers: { origin: 'http://sb.test' } });
    // a minute passes (the socket's last check is moved back), then its next ping finds the login gone
    const ref = (await env.DB.prepare('SELECT id FROM clients WHERE client_id = ?').bind(own.clientId).first<{ id: number }>())!.id;
    await runInDurableObject(env.CLIENT_HUB.getByName(`client:${ref}`), async (_, state) => {
      for (const s of state.getWebSockets()) s.serializeAttachment({ ...s.deserializeAttachment(), checkedAt: 0 });
    });
    ws.send('ping');
    expect(await closed).toBe(4401);
  });
});

describe('received media', () => {
  const serve = async (messageId: string, mimetype: string, filename: string | null, body = 'x') => {
    await insertReceived([{ id: messageId, chatId: '15550000009@c.us', at: Date.now(), hasMedia: true }]);
    answers.set('media', () => ({ mimetype, filename, data: btoa(body) }));
    const res = await call(`/api/chats/${clientId}/media/${messageId}`, { key });
    answers.delete('media');
    return res;
  };

  it('an HTML or SVG "document" downloads, sandboxed, and is never sniffed', async () => {
    for (const [id, type, name] of [
      ['HTML1', 'text/html', 'invoice.html'],
      ['SVG1', 'image/svg+xml', 'logo.svg'],
      ['ODD1', 'text/html; charset=utf-8', null],
      ['BAD1', 'not a mime type', 'x.bin'],
    ] as const) {
      const res = await serve(id, type, name, '<script>alert(document.cookie)</script>');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain('sandbox');
      expect(res.headers.get('content-type')).toBe(type.startsWith('text/html') ? 'text/html' : type === 'image/svg+xml' ? type : 'application/octet-stream');
    }
  });

  it('images, audio and video show inline; Hebrew and odd file names never cause an error', async () => {
    const image = await serve('IMG1', 'image/jpeg', 'תמונה של "חתול".jpg');
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    const disposition = image.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^inline; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe('תמונה של "חתול".jpg');
    const odd = await serve('ODD2', 'audio/mpeg', 'a\r\nb\u0000\uD800.mp3');
    expect(odd.status).toBe(200);
    expect(odd.headers.get('content-disposition')).toMatch(/^inline; /);
  });
});
