// The BridgeLink Durable Object with a bridge played by the test over a real WebSocket.
import { env, SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { addClient, call, newUser } from '../test/helpers.ts';

async function fakeBridge() {
  const res = await SELF.fetch('http://sb.test/internal/bridge/connect', { headers: { upgrade: 'websocket', authorization: `Bearer ${env.INTERNAL_TOKEN}` } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const frames: any[] = [];
  const waiters: (() => void)[] = [];
  ws.addEventListener('message', (m) => {
    const frame = JSON.parse(String(m.data));
    frames.push(frame);
    if (frame.t === 'req') {
      const result = frame.op === 'start' ? { status: 'pending_auth', connectedNumber: null } : { messageId: 'X1', timestamp: 1 };
      ws.send(JSON.stringify({ t: 'res', id: frame.id, ok: true, result }));
    }
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (pred: (f: any[]) => boolean) => {
    for (let i = 0; i < 100 && !pred(frames); i++)
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    return frames;
  };
  return { ws, frames, waitFor };
}

it('refuses a bridge without the token', async () => {
  const res = await SELF.fetch('http://sb.test/internal/bridge/connect', { headers: { upgrade: 'websocket', authorization: 'Bearer nope' } });
  expect(res.status).toBe(401);
});

it('routes requests to the bridge, records its events once even when re-sent, and acknowledges each', async () => {
  const bridge = await fakeBridge();
  bridge.ws.send(JSON.stringify({ t: 'hello', bridgeId: 'test-bridge', transport: 'sandbox', sessions: 0 }));
  await bridge.waitFor((f) => f.some((x) => x.t === 'welcome'));
  expect((await call('/health')).json).toEqual({ status: 'ok', bridge: 'connected' });

  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const start = bridge.frames.find((f) => f.t === 'req' && f.op === 'start');
  expect(start).toMatchObject({ params: { clientId, phoneNumber: '972501234567' } });

  const event = {
    t: 'event',
    id: 'evt-0000-1111',
    clientRef: start.clientRef,
    at: Date.now(),
    event: {
      kind: 'message',
      messageId: 'M1',
      from: '15550000001',
      chatId: '15550000001@c.us',
      fromMe: false,
      body: 'hi',
      type: 'chat',
      timestamp: Date.now(),
      hasMedia: false,
    },
  };
  bridge.ws.send(JSON.stringify(event));
  bridge.ws.send(JSON.stringify(event)); // re-sent after a reconnect, say
  await bridge.waitFor((f) => f.filter((x) => x.t === 'ack').length >= 2);
  expect(bridge.frames.filter((f) => f.t === 'ack').map((f) => f.ids)).toEqual([['evt-0000-1111'], ['evt-0000-1111']]);
  const received = await call(`/api/received-messages/${clientId}`, { key: u.apiKey });
  expect(received.json.messages).toHaveLength(1);
  expect(received.json.messages[0]).toMatchObject({ sender: '15550000001', message: 'hi' });

  // history from the sync after pairing: kept for the chats, no webhook
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/in' } });
  const history = { ...event, id: 'evt-0000-2222', event: { ...event.event, messageId: 'OLD1', body: 'old news', history: true } };
  bridge.ws.send(JSON.stringify(history));
  await bridge.waitFor((f) => f.filter((x) => x.t === 'ack').length >= 3);
  expect((await call(`/api/received-messages/${clientId}`, { key: u.apiKey })).json.messages.map((m: any) => m.message)).toContain('old news');
  expect((await call('/api/webhook-deliveries?event=message_received', { key: u.apiKey })).json.deliveries).toEqual([]);
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: null } });

  const sent = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'yo' } });
  expect(sent.json).toMatchObject({ success: true, messageId: 'X1' });
  bridge.ws.close();
});

it('answers 503 BRIDGE_UNAVAILABLE for a send when no bridge is connected', async () => {
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const res = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'x' } });
  expect(res.status).toBe(503);
  expect(res.json.code).toBe('BRIDGE_UNAVAILABLE');
});
