// The BridgeLink Durable Object with bridges played by the test over real WebSockets: routing, events
// recorded once, and what a bridge must not be able to do (adversarial cases).
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { addClient, call, newUser } from '../test/helpers.ts';
import { recordD1Batches } from '../test/d1-batches.ts';
import { connectFakeBridge, issueBridgeToken, messageEvent, openLink } from '../test/fake-bridge.ts';

let n = 0;
const nextId = () => `adv-bridge-${n++}-${Math.random().toString(36).slice(2, 6)}`;

/** A raw link: the test sends what it likes and sees every frame and the close. */
async function rawLink(token: string) {
  const res = await openLink(token);
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const frames: any[] = [];
  let closed: { code: number; reason: string } | undefined;
  ws.addEventListener('message', (m) => {
    const text = String(m.data);
    frames.push(text === 'pong' ? text : JSON.parse(text));
  });
  ws.addEventListener('close', (e) => {
    closed = { code: e.code, reason: e.reason };
  });
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
    return pred();
  };
  return { ws, frames, closed: () => closed, until, send: (f: unknown) => ws.send(typeof f === 'string' ? f : JSON.stringify(f)) };
}

it('refuses a link without a bridge credential — the operator token and unknown tokens included', async () => {
  for (const token of ['nope', env.INTERNAL_TOKEN, `sbb_${'0'.repeat(48)}`]) {
    const res = await openLink(token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, code: 'AUTH_ERROR' });
  }
});

it('routes requests to the bridge, records its events once even when re-sent, and acknowledges each', async () => {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  expect((await call('/health')).json).toMatchObject({ status: 'ok', bridge: 'connected' });

  const { clientId } = await addClient(u.apiKey);
  const start = bridge.frames.find((f) => f.t === 'req' && f.op === 'start');
  expect(start).toMatchObject({ params: { clientId, phoneNumber: '972501234567' } });

  const event = messageEvent(start.clientRef, 'evt-0000-1111');
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
  expect(sent.json).toMatchObject({ success: true });
  bridge.close();
});

it('a frame of events is recorded in order per client and acknowledged in one ack; its acks in one batch', async () => {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/acks' } });
  const sent = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'ack me', wait: true } });
  const ref = bridge.frames.find((f) => f.t === 'req' && f.op === 'send').clientRef;
  const { whatsappId } = (await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json;
  const ack = (id: string, value: number) => ({
    t: 'event',
    id,
    clientRef: ref,
    at: Date.now(),
    event: { kind: 'ack', messageId: whatsappId, to: '15550000001', ack: value },
  });
  bridge.ws.send(
    JSON.stringify({ t: 'events', events: [ack('batch-ack-0002', 2), messageEvent(ref, 'batch-msg-0001', 'in between'), ack('batch-ack-0003', 3)] }),
  );
  await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('batch-ack-0003')));
  expect(bridge.frames.find((x) => x.t === 'ack' && x.ids.includes('batch-ack-0003')).ids).toEqual(['batch-ack-0002', 'batch-msg-0001', 'batch-ack-0003']);
  expect((await call('/api/sent-messages', { key: u.apiKey })).json[0]).toMatchObject({ message: 'ack me', status: 'read' });
  expect((await call(`/api/received-messages/${clientId}`, { key: u.apiKey })).json.messages.map((m: any) => m.message)).toEqual(['in between']);
  const acks = (await call('/api/webhook-deliveries?event=message_ack', { key: u.apiKey })).json.deliveries;
  expect(acks).toHaveLength(2);
  // the acks name the message by the id its send answered with, not WhatsApp's
  const payloads = await env.DB.prepare("SELECT payload FROM webhook_deliveries WHERE event = 'message_ack' AND endpoint = ?")
    .bind(`client:${ref}`)
    .all<{ payload: string }>();
  expect(payloads.results.map((r) => JSON.parse(r.payload).data.messageId)).toEqual([sent.json.messageId, sent.json.messageId]);
  // a late ack never moves a message back; a failure (-1) fails it whatever it was
  const status = async () => (await call('/api/sent-messages', { key: u.apiKey })).json[0].status;
  bridge.ws.send(JSON.stringify({ t: 'events', events: [ack('batch-ack-0004', 2)] }));
  await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('batch-ack-0004')));
  expect(await status()).toBe('read');
  bridge.ws.send(JSON.stringify({ t: 'events', events: [ack('batch-ack-0005', -1)] }));
  await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('batch-ack-0005')));
  expect(await status()).toBe('failed');
  bridge.close();
});

it('a burst of messages in one frame is written in a few D1 batches (not one per message), each counted once in its chat, a repeat of one counting nothing', async () => {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/burst' } });
  const ref = bridge.frames.find((f) => f.t === 'req' && f.op === 'start' && f.params.clientId === clientId).clientRef;
  const from = (n: number) => `1555000010${n % 2}`; // two chats, alternating
  const msg = (i: number) => {
    const e = messageEvent(ref, `burst-msg-${String(i).padStart(4, '0')}`, `burst ${i}`);
    return { ...e, event: { ...e.event, from: from(i), chatId: `${from(i)}@c.us`, timestamp: Date.now() + i } };
  };
  // 40 messages (more than one D1 batch holds with their summaries and webhooks) and a repeat of the fifth
  const events = [...Array.from({ length: 40 }, (_, i) => msg(i)), msg(4)];
  const batches = recordD1Batches();
  try {
    bridge.ws.send(JSON.stringify({ t: 'events', events }));
    await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('burst-msg-0039')));
  } finally {
    batches.stop();
  }
  // one D1 batch per 100 statements, not one per message: its 40 rows, summaries and webhooks in a few
  const burst = batches.sql.filter((statements) => statements.some((s) => s.includes('received_messages')));
  expect(burst.length).toBeGreaterThan(0);
  expect(burst.length).toBeLessThanOrEqual(Math.ceil(burst.flat().length / 100) + 1);
  expect(burst.length).toBeLessThan(5);
  const received = (await call(`/api/received-messages/${clientId}?limit=100`, { key: u.apiKey })).json.messages.map((m: any) => m.message);
  expect(new Set(received).size).toBe(40);
  expect(received).toHaveLength(40);
  const chats = (await call(`/api/chats/${clientId}`, { key: u.apiKey })).json.chats;
  for (const n of [0, 1])
    expect(chats.find((c: any) => c.id._serialized === `${from(n)}@c.us`)).toMatchObject({ unreadCount: 20, lastMessage: { body: `burst ${38 + n}` } });
  const hooks = (await call('/api/webhook-deliveries?event=message_received&limit=100', { key: u.apiKey })).json.deliveries;
  expect(hooks).toHaveLength(40);
  bridge.close();
});

it("an ack faster than its send's record is held (not acknowledged; the bridge is asked to offer it again soon) and then recorded under the message's id", async () => {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/early' } });
  const ref = bridge.frames.find((f) => f.t === 'req' && f.op === 'start' && f.params.clientId === clientId).clientRef;
  const early = {
    t: 'event',
    id: 'early-ack-00001',
    clientRef: ref,
    at: Date.now(),
    event: { kind: 'ack', messageId: 'WA-EARLY-1', to: '15550000001', ack: 2 },
  };
  const stranger = {
    t: 'event',
    id: 'old-unknown-001',
    clientRef: ref,
    at: Date.now() - 120_000,
    event: { kind: 'ack', messageId: 'WA-PHONE-1', to: '15550000002', ack: 3 },
  };
  bridge.ws.send(JSON.stringify({ t: 'events', events: [early, stranger] }));
  await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('old-unknown-001')));
  // the old ack of a message sent elsewhere (the phone) is recorded as it is; the young unknown one is not acknowledged,
  // and the bridge is asked to offer it again soon (its send is being recorded), not at its 30 s re-send
  const answered = bridge.frames.filter((x) => x.t === 'ack');
  expect(answered.flatMap((x) => x.ids)).not.toContain('early-ack-00001');
  expect(answered.flatMap((x) => x.later ?? [])).toEqual(['early-ack-00001']);
  // the send's outcome lands, then the bridge offers the held ack again
  await env.DB.prepare(
    "INSERT INTO sent_messages (user_id, client_ref, message_id, queue_id, recipient, message, status, sent_at) SELECT user_id, id, 'WA-EARLY-1', 'q_early_1', '15550000001', 'hi', 'sent', ? FROM clients WHERE id = ?",
  )
    .bind(Date.now(), ref)
    .run();
  bridge.ws.send(JSON.stringify({ t: 'events', events: [early] }));
  await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('early-ack-00001')));
  const row = await env.DB.prepare("SELECT status FROM sent_messages WHERE message_id = 'WA-EARLY-1'").first<{ status: string }>();
  expect(row?.status).toBe('delivered');
  const payloads = await env.DB.prepare("SELECT payload FROM webhook_deliveries WHERE event = 'message_ack' AND endpoint = ?")
    .bind(`client:${ref}`)
    .all<{ payload: string }>();
  expect(payloads.results.map((r) => JSON.parse(r.payload).data.messageId).sort()).toEqual(['WA-PHONE-1', 'q_early_1']);
  bridge.close();
});

it('a late or re-sent older status event never overwrites a newer one', async () => {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const ref = bridge.frames.find((f) => f.t === 'req' && f.op === 'start' && f.params.clientId === clientId).clientRef;
  const status = (id: string, at: number, value: string, connectedNumber: string | null) =>
    bridge.ws.send(JSON.stringify({ t: 'event', id, clientRef: ref, at, event: { kind: 'status', status: value, connectedNumber } }));
  const now = Date.now();
  status('status-newer-001', now, 'connected', '972501234567@c.us');
  status('status-older-001', now - 5000, 'disconnected', null); // sent before, arrives after
  await bridge.waitFor((f) => f.filter((x) => x.t === 'ack' && x.ids[0]?.startsWith('status-')).length >= 2);
  const [client] = (await call('/api/clients', { key: u.apiKey })).json;
  expect(client).toMatchObject({ status: 'Authenticated', connectedNumber: '972501234567@c.us' });
  status('status-newest-01', now + 1000, 'disconnected', null);
  await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids[0] === 'status-newest-01'));
  expect((await call('/api/clients', { key: u.apiKey })).json[0].status).toBe('Disconnected');
  bridge.close();
});

describe('a bridge cannot act beyond its credential', () => {
  it('a hello naming another bridge id closes the link', async () => {
    const victimId = nextId();
    const victim = await connectFakeBridge(victimId);
    const link = await rawLink(await issueBridgeToken(nextId()));
    link.send({ t: 'hello', bridgeId: victimId, transport: 'sandbox', sessions: 0 });
    expect(await link.until(() => link.closed() !== undefined)).toBe(true);
    expect(link.closed()?.code).toBe(4403);
    expect(link.frames.some((f) => f.t === 'welcome')).toBe(false);
    victim.close();
  });

  it('a live bridge id cannot be taken over, not even with its own fresh link', async () => {
    const id = nextId();
    const token = await issueBridgeToken(id);
    const first = await rawLink(token);
    first.send({ t: 'hello', bridgeId: id, transport: 'sandbox', sessions: 0 });
    await first.until(() => first.frames.some((f) => f.t === 'welcome'));
    const second = await openLink(token);
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ code: 'BRIDGE_ID_IN_USE' });
    expect(first.closed()).toBeUndefined();
    first.ws.close();
  });

  it('events for a client it does not hold are refused and change nothing; its own are recorded', async () => {
    const holder = await connectFakeBridge(nextId());
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const start = holder.frames.find((f) => f.t === 'req' && f.op === 'start' && f.params.clientId === clientId);
    await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/in' } });

    const intruderId = nextId();
    const intruder = await rawLink(await issueBridgeToken(intruderId));
    intruder.send({ t: 'hello', bridgeId: intruderId, transport: 'sandbox', sessions: 0 });
    await intruder.until(() => intruder.frames.some((f) => f.t === 'welcome'));
    // the intruder even names the holder's lease epoch: the lease is not its own
    const epoch = holder.epochOf(start.clientRef);
    expect(epoch).toBeGreaterThan(0);
    intruder.send(messageEvent(start.clientRef, 'forged-message-1', 'your code is 1234', epoch));
    intruder.send({
      t: 'event',
      id: 'forged-call-0001',
      clientRef: start.clientRef,
      epoch,
      at: Date.now(),
      event: { kind: 'call', callId: 'FORGED', from: '15550009999', isVideo: false, timestamp: Date.now() },
    });
    await intruder.until(() => intruder.frames.filter((f) => f.t === 'reject').length >= 2);
    expect(intruder.frames.filter((f) => f.t === 'reject').flatMap((f) => f.ids)).toEqual(['forged-message-1', 'forged-call-0001']);
    expect(intruder.frames.some((f) => f.t === 'ack')).toBe(false);

    expect((await call(`/api/received-messages/${clientId}`, { key: u.apiKey })).json.messages).toEqual([]);
    expect((await call(`/api/incoming-calls/${clientId}`, { key: u.apiKey })).json.calls).toEqual([]);
    expect((await call('/api/webhook-deliveries', { key: u.apiKey })).json.deliveries).toEqual([]);
    // no rejection message went out through the real holder
    expect(holder.frames.some((f) => f.t === 'req' && f.op === 'send')).toBe(false);

    holder.ws.send(JSON.stringify(messageEvent(start.clientRef, 'genuine-message-1', 'real')));
    await holder.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('genuine-message-1')));
    expect((await call(`/api/received-messages/${clientId}`, { key: u.apiKey })).json.messages.map((m: any) => m.message)).toEqual(['real']);
    intruder.ws.close();
    holder.close();
  });

  it('an answer to a request sent to another bridge is ignored', async () => {
    const holder = await connectFakeBridge(nextId());
    holder.answer = () => ({ ok: false, code: 'SLOW', message: 'never answered in time' });
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const intruderId = nextId();
    const intruder = await rawLink(await issueBridgeToken(intruderId));
    intruder.send({ t: 'hello', bridgeId: intruderId, transport: 'sandbox', sessions: 0 });
    await intruder.until(() => intruder.frames.some((f) => f.t === 'welcome'));
    // the holder answers slowly; the intruder guesses the request id (the test tells it) and answers first
    let guessed = false;
    holder.answer = () => {
      const req = holder.frames.filter((f) => f.t === 'req' && f.op === 'send').at(-1);
      intruder.send({ t: 'res', id: req.id, ok: true, result: { messageId: 'FORGED', timestamp: 1 } });
      guessed = true;
      return { ok: true, result: { messageId: 'REAL-1', timestamp: Date.now() } };
    };
    const sent = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'otp 9999', wait: true } });
    expect(guessed).toBe(true);
    expect(sent.json.status).toBe('sent');
    expect((await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json.whatsappId).toBe('REAL-1');
    intruder.ws.close();
    holder.close();
  });

  it('malformed, unknown and oversized frames are refused without harm; frames before hello close the link', async () => {
    const id = nextId();
    const token = await issueBridgeToken(id);
    const early = await rawLink(token);
    early.send(messageEvent(1, 'before-hello-01', 'hi', 1));
    expect(await early.until(() => early.closed() !== undefined)).toBe(true);
    expect(early.closed()?.code).toBe(4400);

    const link = await rawLink(token);
    link.send({ t: 'hello', bridgeId: id, transport: 'sandbox', sessions: 0 });
    await link.until(() => link.frames.some((f) => f.t === 'welcome'));
    link.send('{not json');
    link.send({ t: 'surprise', payload: 1 });
    link.send({ t: 'event', id: 'x', clientRef: 'one' });
    link.send('ping');
    expect(await link.until(() => link.frames.includes('pong'))).toBe(true);
    expect(link.closed()).toBeUndefined();
    link.send(`{"t":"event","pad":"${'x'.repeat(9 * 1024 * 1024)}"}`);
    expect(await link.until(() => link.closed() !== undefined)).toBe(true);
    expect(link.closed()?.code).toBe(1009);
    // the link object still serves others
    const other = await connectFakeBridge(nextId());
    expect((await call('/health')).json.bridge).toBe('connected');
    other.close();
  });

  it("a credential revoked between the Worker's check and the hello never gets a live link", async () => {
    const id = nextId();
    const link = await rawLink(await issueBridgeToken(id));
    // revoked in D1 after the Worker let the upgrade through (the close that follows a revocation missed it)
    await env.DB.prepare('UPDATE bridges SET revoked_at = ? WHERE bridge_id = ?').bind(Date.now(), id).run();
    link.send({ t: 'hello', bridgeId: id, transport: 'sandbox', sessions: 0 });
    expect(await link.until(() => link.closed() !== undefined)).toBe(true);
    expect(link.closed()?.code).toBe(4401);
    expect(link.frames.some((f) => f.t === 'welcome')).toBe(false);
  });

  it('a link that closes fails what was asked of it at once, not at the timeout', async () => {
    const holder = await connectFakeBridge(nextId());
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    holder.answer = () => {
      setTimeout(() => holder.close(), 50); // the bridge goes away without answering
      return { ok: true, result: null };
    };
    const original = holder.ws.send.bind(holder.ws);
    holder.ws.send = ((data: string) => {
      if (String(data).includes('"t":"res"')) return;
      original(data);
    }) as typeof holder.ws.send;
    const started = Date.now();
    const res = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'lost link' } });
    expect(res.json.status).toBe('queued');
    // the attempt fails when the link closes (the message waits for the bridge again), not at the 60 s timeout
    for (;;) {
      const status = (await call(`/api/messages/${res.json.messageId}`, { key: u.apiKey })).json;
      if (status.reason?.startsWith('BRIDGE_UNAVAILABLE')) break;
      expect(Date.now() - started).toBeLessThan(15_000);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('the admin list shows each connected bridge with its version, last heartbeat and the clients it holds', async () => {
    const bridge = await connectFakeBridge(nextId());
    const admin = await newUser({ role: 'admin' });
    const { clientId } = await addClient(admin.apiKey);
    const start = bridge.frames.find((f) => f.t === 'req' && f.op === 'start');
    expect(start).toBeDefined();
    const listed = (await call('/api/admin/bridges', { key: admin.apiKey })).json.bridges.find((b: { connected: boolean; clients: { clientId: string }[] }) =>
      b.clients.some((x) => x.clientId === clientId),
    );
    expect(listed).toMatchObject({ connected: true, transport: 'sandbox', version: '0.0.0-test', clients: [{ clientId, username: admin.username }] });
    expect(Date.now() - Date.parse(listed.lastHeartbeat)).toBeLessThan(60_000);
    bridge.close();
  });

  it('a revoked credential stops working and its live link closes', async () => {
    const admin = await newUser({ role: 'admin' });
    const issued = await call('/api/admin/bridges', { key: admin.apiKey, body: { bridgeId: nextId() } });
    expect(issued.status).toBe(201);
    expect(issued.json.token).toMatch(/^sbb_[0-9a-f]{48}$/);
    const link = await rawLink(issued.json.token);
    link.send({ t: 'hello', bridgeId: issued.json.bridgeId, transport: 'sandbox', sessions: 0 });
    await link.until(() => link.frames.some((f) => f.t === 'welcome'));
    const listed = await call('/api/admin/bridges', { key: admin.apiKey });
    expect(listed.json.bridges).toContainEqual(
      expect.objectContaining({ bridgeId: issued.json.bridgeId, revoked: false, connected: true, transport: 'sandbox' }),
    );

    const revoked = await call(`/api/admin/bridges/${issued.json.bridgeId}`, { method: 'DELETE', key: admin.apiKey });
    expect(revoked.json).toEqual({ success: true, disconnected: 1 });
    expect(await link.until(() => link.closed() !== undefined)).toBe(true);
    expect(link.closed()?.code).toBe(4401);
    expect((await openLink(issued.json.token)).status).toBe(401);
    const user = await newUser();
    expect((await call('/api/admin/bridges', { key: user.apiKey })).status).toBe(403);
  });
});
