// WhatsApp → SMS fallback (workerd, real D1 and Durable Objects, a bridge played over a real WebSocket):
// not delivered in time, the text goes as an SMS through a device (naming the WhatsApp message); delivered
// in time, nothing more goes; a failed WhatsApp send falls back at once.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { connectFakeBridge } from '../test/fake-bridge.ts';
import type { QueueStore } from './queue-store.ts';
import { addClient, call, makeQueueDue, newDevice, newUser, refOf, until } from '../test/helpers.ts';

const poll = (secret: string) => call('/gateway/android/outbox', { headers: { 'x-device-secret': secret } });

/** A number held by a (played) bridge, and a healthy device of the same user for its SMS. */
async function numberWithDevice() {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const ref = await refOf(clientId);
  const device = await newDevice(u.apiKey);
  await poll(device.secret); // seen: a healthy device
  return { bridge, u, clientId, ref, hub: env.CLIENT_HUB.getByName(`client:${ref}`), device };
}

describe('SMS fallback', () => {
  it('not delivered on WhatsApp in time: the text goes as an SMS naming the message; delivered in time: no SMS', async () => {
    const { bridge, u, clientId, ref, device } = await numberWithDevice();
    const send = (message: string) =>
      call('/api/send-message', { key: u.apiKey, body: { clientId, number: '972500000001', message, fallback: { channel: 'sms', afterSeconds: 30 } } });
    const late = await send('late on WhatsApp');
    const quick = await send('delivered on WhatsApp');
    expect(late.status).toBe(200);
    const status = (id: string) => call(`/api/messages/${id}`, { key: u.apiKey });
    for (const id of [late.json.messageId, quick.json.messageId]) await until('sent', async () => (await status(id)).json.status === 'sent');
    expect((await status(late.json.messageId)).json.fallback).toMatchObject({ channel: 'sms', outcome: 'waiting', smsId: null });
    // the second one's recipient acknowledges it (delivered)
    const whatsappId = (await status(quick.json.messageId)).json.whatsappId;
    bridge.ws.send(
      JSON.stringify({
        t: 'event',
        id: `ack-${whatsappId}`,
        clientRef: ref,
        at: Date.now(),
        event: { kind: 'ack', messageId: whatsappId, to: '972500000001', ack: 2 },
      }),
    );
    await until('delivered', async () => (await status(quick.json.messageId)).json.status === 'delivered');
    // their time comes
    await env.DB.prepare('UPDATE send_fallbacks SET due_at = ? WHERE client_ref = ?')
      .bind(Date.now() - 1, ref)
      .run();
    await runDurableObjectAlarm(env.CLIENT_HUB.getByName(`client:${ref}`));
    const fell = (await status(late.json.messageId)).json.fallback;
    expect(fell).toMatchObject({ outcome: 'sms', smsId: expect.stringMatching(/^sms_/) });
    expect((await status(quick.json.messageId)).json.fallback).toMatchObject({ outcome: 'whatsapp', smsId: null });
    const sms = (await call(`/api/sms/${fell.smsId}`, { key: u.apiKey })).json;
    expect(sms).toMatchObject({ to: '+972500000001', message: 'late on WhatsApp', deviceId: device.deviceId, fallbackOf: late.json.messageId });
    expect((await poll(device.secret)).json.messages.map((m: any) => m.message)).toEqual(['late on WhatsApp']);
    // decided once: the alarm again sends nothing more
    await runDurableObjectAlarm(env.CLIENT_HUB.getByName(`client:${ref}`));
    expect((await call('/api/sms', { key: u.apiKey })).json.messages).toHaveLength(1);
    bridge.close();
  });

  it('a message still waiting out an outage when its time comes is cancelled and goes as an SMS instead', async () => {
    const bridge = await connectFakeBridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await refOf(clientId);
    const device = await newDevice(u.apiKey);
    await poll(device.secret);
    bridge.close(); // the number's bridge goes away: the WhatsApp message waits in its queue
    const sent = await call('/api/send-message', {
      key: u.apiKey,
      body: { clientId, number: '972500000003', message: 'are you there?', fallback: { channel: 'sms', afterSeconds: 30 } },
    });
    expect(sent.json.status).toBe('queued');
    await env.DB.prepare('UPDATE send_fallbacks SET due_at = ? WHERE client_ref = ?')
      .bind(Date.now() - 1, ref)
      .run();
    await runDurableObjectAlarm(env.CLIENT_HUB.getByName(`client:${ref}`));
    const view = (await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json;
    expect(view.status).toBe('cancelled'); // it will not also go on WhatsApp later
    expect(view.fallback).toMatchObject({ outcome: 'sms', smsId: expect.stringMatching(/^sms_/) });
    expect((await poll(device.secret)).json.messages.map((m: any) => m.message)).toEqual(['are you there?']);
  });

  it('a message sent on WhatsApp whose record D1 refused meanwhile is not taken for never queued: its fallback waits for the record', async () => {
    const { bridge, u, clientId, ref, hub } = await numberWithDevice();
    await env.DB.exec(
      "CREATE TRIGGER refuse_fallback_record BEFORE INSERT ON sent_messages WHEN NEW.message = 'recorded late' BEGIN SELECT RAISE(ABORT, 'D1 is having a bad day'); END",
    );
    const status = async (id: string) => (await call(`/api/messages/${id}`, { key: u.apiKey })).json;
    let id: string;
    try {
      id = (
        await call('/api/send-message', {
          key: u.apiKey,
          body: { clientId, number: '972500000004', message: 'recorded late', fallback: { channel: 'sms', afterSeconds: 30 } },
        })
      ).json.messageId;
      await until('sent, not recorded', async () => (await status(id)).status === 'sent');
      await env.DB.prepare('UPDATE send_fallbacks SET due_at = ? WHERE client_ref = ?')
        .bind(Date.now() - 1, ref)
        .run();
      await runDurableObjectAlarm(hub);
      expect((await status(id)).fallback).toMatchObject({ outcome: 'waiting', smsId: null });
    } finally {
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_fallback_record');
    }
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub); // recorded: sent, never delivered
    await runDurableObjectAlarm(hub);
    expect(await status(id)).toMatchObject({ status: 'sent', lane: null, fallback: { outcome: 'sms', smsId: expect.stringMatching(/^sms_/) } });
    bridge.close();
  });

  it('a message cancelled for its fallback while D1 falters still falls back: its SMS goes once D1 takes it, not dropped as its owner’s cancel', async () => {
    const { bridge, u, clientId, ref, hub, device } = await numberWithDevice();
    bridge.close(); // the WhatsApp message waits in the queue
    const sent = await call('/api/send-message', {
      key: u.apiKey,
      body: { clientId, number: '972500000005', message: 'still there?', fallback: { channel: 'sms', afterSeconds: 30 } },
    });
    await env.DB.prepare('UPDATE send_fallbacks SET due_at = ? WHERE client_ref = ?')
      .bind(Date.now() - 1, ref)
      .run();
    // D1 refuses both the cancel's record and the fallback's decision
    await env.DB.exec(
      "CREATE TRIGGER refuse_cancel_record BEFORE INSERT ON sent_messages WHEN NEW.status = 'cancelled' BEGIN SELECT RAISE(ABORT, 'D1 falters'); END",
    );
    await env.DB.exec("CREATE TRIGGER refuse_decision BEFORE UPDATE ON send_fallbacks WHEN NEW.outcome = 'sms' BEGIN SELECT RAISE(ABORT, 'D1 falters'); END");
    try {
      await runDurableObjectAlarm(hub);
      expect((await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json).toMatchObject({
        status: 'cancelled',
        fallback: { outcome: 'waiting' },
      });
    } finally {
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_cancel_record');
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_decision');
    }
    // D1 is back: the next looks send the SMS (whichever comes first, the fallback or the cancel's record)
    for (let i = 0; i < 3; i++) {
      await env.DB.prepare('UPDATE send_fallbacks SET due_at = ? WHERE client_ref = ?')
        .bind(Date.now() - 1, ref)
        .run();
      await runInDurableObject(hub, async (_obj, state) => {
        await state.storage.put('fallbacks', true);
      });
      await makeQueueDue(hub);
      await runDurableObjectAlarm(hub);
    }
    const view = (await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json;
    expect(view).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/^FALLBACK_SMS: /), lane: null, fallback: { outcome: 'sms' } });
    expect((await poll(device.secret)).json.messages.map((m: any) => m.message)).toEqual(['still there?']);
  });

  it('a cancel a restart cut short is finished as it began: the fallback’s still sends its SMS, the owner’s sends none', async () => {
    /** A message with an SMS fallback waiting in the queue (no bridge) whose cancel, marked with `code`, a restart cut short. */
    async function cutShort(code: 'FALLBACK_SMS' | 'CANCELLED', message: string) {
      const n = await numberWithDevice();
      n.bridge.close();
      const sent = await call('/api/send-message', {
        key: n.u.apiKey,
        body: { clientId: n.clientId, number: '972500000006', message, fallback: { channel: 'sms', afterSeconds: 30 } },
      });
      await runInDurableObject(n.hub, (obj) => {
        (obj as unknown as { queue: QueueStore }).queue.markCancelling(sent.json.messageId, code);
      });
      const view = async () => (await call(`/api/messages/${sent.json.messageId}`, { key: n.u.apiKey })).json;
      const fallbackDue = () =>
        env.DB.prepare('UPDATE send_fallbacks SET due_at = ? WHERE client_ref = ?')
          .bind(Date.now() - 1, n.ref)
          .run();
      const sms = async () => (await poll(n.device.secret)).json.messages.map((m: any) => m.message);
      return { ...n, view, fallbackDue, sms };
    }
    // the fallback's, finished by the drain before the fallback is due
    const ours = await cutShort('FALLBACK_SMS', 'cut short');
    expect(await ours.view()).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/^FALLBACK_SMS: /), lane: 'bulk' }); // still in the queue
    // its owner cannot take it back for a cancel of their own: the SMS goes, so it is no longer queued
    const theirs = await call(`/api/messages/${(await ours.view()).messageId}`, { method: 'DELETE', key: ours.u.apiKey });
    expect([theirs.status, theirs.json.code]).toEqual([409, 'NOT_QUEUED']);
    await runDurableObjectAlarm(ours.hub);
    expect(await ours.view()).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/^FALLBACK_SMS: /), fallback: { outcome: 'waiting' } });
    await ours.fallbackDue();
    await runDurableObjectAlarm(ours.hub);
    expect((await ours.view()).fallback).toMatchObject({ outcome: 'sms', smsId: expect.stringMatching(/^sms_/) });
    expect(await ours.sms()).toEqual(['cut short']);
    // the owner's, with the fallback due first: the fallback waits for it, and decides none
    const owners = await cutShort('CANCELLED', 'owner changed their mind');
    expect(await owners.view()).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/^CANCELLED: /) });
    await owners.fallbackDue();
    await runDurableObjectAlarm(owners.hub);
    await runDurableObjectAlarm(owners.hub);
    expect(await owners.view()).toMatchObject({
      status: 'cancelled',
      reason: expect.stringMatching(/^CANCELLED: /),
      lane: null,
      fallback: { outcome: 'none' },
    });
    expect(await owners.sms()).toEqual([]);
  });

  it('a WhatsApp send that fails falls back at once; a fallback needs text', async () => {
    const bridge = await connectFakeBridge();
    const answer = bridge.answer;
    bridge.answer = (frame) => (frame.op === 'send' ? { ok: false, code: 'VALIDATION_ERROR', message: 'not on WhatsApp' } : answer(frame));
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const device = await newDevice(u.apiKey);
    await poll(device.secret);
    const sent = await call('/api/send-message', {
      key: u.apiKey,
      body: { clientId, number: '972500000002', message: 'please call me', fallback: { channel: 'sms', afterSeconds: 3600 } },
    });
    expect(sent.status).toBe(200);
    await until(
      'the SMS fallback',
      async () => (await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json.fallback?.outcome === 'sms',
      10_000,
    );
    expect((await call(`/api/messages/${sent.json.messageId}`, { key: u.apiKey })).json.status).toBe('failed');
    const mediaOnly = await call('/api/send-message', {
      key: u.apiKey,
      body: { clientId, number: '972500000002', mediaUrl: 'https://example.com/a.png', fallback: { channel: 'sms', afterSeconds: 60 } },
    });
    expect(mediaOnly.status).toBe(400);
    bridge.close();
  });
});
