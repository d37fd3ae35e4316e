// What the edge does with WhatsApp's addressing as Baileys rc14 reports it, with a bridge played over a real
// WebSocket: a contact known only by LID (`…@lid`) is a private chat that can be read, replied to and called
// back; a 463 nack that arrives after the send (as an ack −1 with its code) pauses the number.
import { describe, expect, it } from 'vitest';
import { connectFakeBridge } from '../test/fake-bridge.ts';
import { addClient, call, deliveries, newUser, refOf, until } from '../test/helpers.ts';

const LID = '123456789012345@lid';
const frame = (clientRef: number, id: string, event: Record<string, unknown>) => ({ t: 'event', id, clientRef, at: Date.now(), event });

async function setup() {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const ref = await refOf(clientId);
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/wa' } });
  const sends = () => bridge.frames.filter((f) => f.t === 'req' && (f.op === 'send' || f.op === 'sendBatch')).flatMap((f) => f.params.items ?? [f.params]);
  return { bridge, u, clientId, ref, sends };
}

describe('WhatsApp addressing at the edge', () => {
  it('a LID-only contact: its message is a private chat at its LID, the chat opens, and a send to the LID goes to the LID', async () => {
    const { bridge, u, clientId, ref, sends } = await setup();
    const message = {
      kind: 'message',
      messageId: 'LIDMSG1',
      from: LID,
      chatId: LID,
      fromMe: false,
      body: 'who am i',
      type: 'chat',
      timestamp: Date.now(),
      hasMedia: false,
    };
    bridge.ws.send(JSON.stringify(frame(ref, 'lid-evt-000001', message)));
    await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('lid-evt-000001')));
    const chats = (await call(`/api/chats/${clientId}`, { key: u.apiKey })).json.chats;
    expect(chats).toEqual([expect.objectContaining({ id: { _serialized: LID }, unreadCount: 1 })]);
    const opened = await call(`/api/chats/${clientId}/${LID}/messages`, { key: u.apiKey });
    expect(opened.status).toBe(200);
    expect(opened.json.messages.map((m: { body: string }) => m.body)).toEqual(['who am i']);
    expect((await deliveries(ref, 'message_received'))[0]).toMatchObject({ from: LID });

    const reply = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: LID, message: 'you are you', wait: true } });
    expect(reply.json).toMatchObject({ success: true, status: 'sent', to: LID });
    expect(sends().at(-1)).toMatchObject({ to: LID, text: 'you are you' });
    // malformed LIDs are refused
    for (const bad of ['12@lid', `${LID}x`, '+123456789012345@lid']) {
      expect((await call('/api/send-message', { key: u.apiKey, body: { clientId, number: bad, message: 'x' } })).status).toBe(400);
    }
    bridge.close();
  });

  it('a message and a call from a LID-addressed contact whose number is known: from is the number, the LID rides beside it', async () => {
    const { bridge, ref } = await setup();
    const message = {
      kind: 'message',
      messageId: 'LIDMSG2',
      from: '972521112222',
      chatId: '972521112222@c.us',
      senderLid: LID,
      fromMe: false,
      body: 'known number',
      type: 'chat',
      timestamp: Date.now(),
      hasMedia: false,
    };
    bridge.ws.send(JSON.stringify(frame(ref, 'lid-evt-000002', message)));
    bridge.ws.send(
      JSON.stringify(
        frame(ref, 'lid-call-00002', { kind: 'call', callId: 'CALL-LID-2', from: '972521112222', callerLid: LID, isVideo: true, timestamp: Date.now() }),
      ),
    );
    await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('lid-call-00002')));
    expect((await deliveries(ref, 'message_received'))[0]).toMatchObject({ from: '972521112222', fromLid: LID });
    expect((await deliveries(ref, 'call_rejected'))[0]).toMatchObject({ from: '972521112222', fromLid: LID, isVideo: true });
    bridge.close();
  });

  it('chat and group lists carry profile pictures from the bridge, asked once and kept; a bridge that cannot answer leaves them null', async () => {
    const { bridge, u, clientId, ref } = await setup();
    const base = bridge.answer;
    bridge.answer = (f) =>
      f.op === 'pictures'
        ? {
            ok: true,
            result: f.params.chatIds.map((chatId: string) => ({ chatId, url: chatId.startsWith('15550000031') ? 'https://pps.whatsapp.net/v/p.jpg' : null })),
          }
        : base(f);
    for (const n of ['15550000031', '15550000032']) {
      const message = {
        kind: 'message',
        messageId: `PIC-${n}`,
        from: n,
        chatId: `${n}@c.us`,
        fromMe: false,
        body: 'hi',
        type: 'chat',
        timestamp: Date.now(),
        hasMedia: false,
      };
      bridge.ws.send(JSON.stringify(frame(ref, `pic-evt-${n}`, message)));
    }
    await bridge.waitFor((f) => f.filter((x) => x.t === 'ack' && String(x.ids[0]).startsWith('pic-evt')).length >= 2);
    const list = async () =>
      (await call(`/api/chats/${clientId}`, { key: u.apiKey })).json.chats as { id: { _serialized: string }; profilePic: string | null }[];
    const pics = Object.fromEntries((await list()).map((ch) => [ch.id._serialized, ch.profilePic]));
    expect(pics).toEqual({ '15550000031@c.us': 'https://pps.whatsapp.net/v/p.jpg', '15550000032@c.us': null });
    await list();
    expect(bridge.frames.filter((f) => f.t === 'req' && f.op === 'pictures')).toHaveLength(1);
    bridge.close();
  });

  it('a call from a LID-only contact is logged at its LID and the rejection text goes back to the LID', async () => {
    const { bridge, u, ref, sends } = await setup();
    bridge.ws.send(JSON.stringify(frame(ref, 'lid-call-00001', { kind: 'call', callId: 'CALL-LID-1', from: LID, isVideo: false, timestamp: Date.now() })));
    await until('rejection text sent', async () => sends().some((s) => s.to === LID));
    expect(sends().find((s) => s.to === LID)).toMatchObject({ to: LID, text: expect.any(String) });
    const logs = (await call('/api/call-logs', { key: u.apiKey })).json;
    expect(JSON.stringify(logs)).toContain(LID);
    bridge.close();
  });

  it('a 463 nack after the send pauses the number with a client_status webhook; more nacks of the burst do not lengthen the pause', async () => {
    const { bridge, u, clientId, ref } = await setup();
    const sent = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000077', message: 'hello stranger', wait: true } });
    const { whatsappId } = (await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json;
    const nack = (id: string) => frame(ref, id, { kind: 'ack', messageId: whatsappId, to: '15550000077', ack: -1, error: '463' });
    bridge.ws.send(JSON.stringify(nack('nack-463-00001')));
    await until('paused', async () => (await deliveries(ref, 'client_status')).length === 1);
    const queue = (await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json;
    expect(queue.pauseReason).toContain('463');
    const until1 = queue.pausedUntil;
    bridge.ws.send(JSON.stringify(nack('nack-463-00002')));
    await bridge.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('nack-463-00002')));
    expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.pausedUntil).toBe(until1);
    expect(await deliveries(ref, 'client_status')).toHaveLength(1);
    // the message failed, and says why, by status and by a message_failed webhook (once for both nacks)
    expect((await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json).toMatchObject({
      status: 'failed',
      reason: 'WHATSAPP_RATE_LIMIT: WhatsApp refused the message after taking it (error 463)',
    });
    expect(await deliveries(ref, 'message_failed')).toEqual([
      expect.objectContaining({ messageId: sent.json.messageId, to: '15550000077', body: 'hello stranger', code: 'WHATSAPP_RATE_LIMIT' }),
    ]);
    bridge.close();
  });

  it('a nack of another kind fails the message with its code and a message_failed webhook, without pausing the number', async () => {
    const { bridge, u, clientId, ref } = await setup();
    const sent = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000079', message: 'bounced', wait: true } });
    const { whatsappId } = (await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json;
    bridge.ws.send(JSON.stringify(frame(ref, 'nack-other-001', { kind: 'ack', messageId: whatsappId, to: '15550000079', ack: -1, error: '479' })));
    await until('failed webhook', async () => (await deliveries(ref, 'message_failed')).length === 1);
    expect((await deliveries(ref, 'message_failed'))[0]).toMatchObject({
      code: 'WHATSAPP_REFUSED',
      error: 'WhatsApp refused the message after taking it (error 479)',
    });
    expect((await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/^WHATSAPP_REFUSED: /),
    });
    expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.pausedUntil).toBeNull();
    expect(await deliveries(ref, 'client_status')).toHaveLength(0);
    bridge.close();
  });

  it('a 463 nack that beats its send’s record (held, to be offered again) pauses the number at once', async () => {
    const { bridge, u, clientId, ref } = await setup();
    const early = frame(ref, 'nack-463-early', { kind: 'ack', messageId: 'WA-NOT-RECORDED-YET', to: '15550000078', ack: -1, error: '463' });
    bridge.ws.send(JSON.stringify(early));
    await until('paused', async () => (await deliveries(ref, 'client_status')).length === 1);
    expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.pauseReason).toContain('463');
    // held: not acknowledged, so the bridge offers it again once the send is recorded
    expect(bridge.frames.filter((x) => x.t === 'ack').flatMap((x) => x.ids)).not.toContain('nack-463-early');
    bridge.close();
  });
});
