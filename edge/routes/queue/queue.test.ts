// The send queue through the API, in workerd with a bridge played over a real WebSocket: a send answers
// queued and its id follows it; outages are waited out; cancel, expiry, lanes, and the governor.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectFakeBridge, type FakeBridge } from '../../test/fake-bridge.ts';
import { addClient, call, deliveries, makeQueueDue, newUser, refOf, until } from '../../test/helpers.ts';
import { freshState } from '../../services/governor.ts';
import { OUTAGE_RETRY_MS } from '../../services/queue-drain.ts';
import { QueueStore } from '../../services/queue-store.ts';

const sendKeys = (bridge: FakeBridge) =>
  bridge.frames.filter((f) => f.t === 'req' && (f.op === 'send' || f.op === 'sendBatch')).flatMap((f) => (f.params.items ?? [f.params]).map((p: any) => p.key));

// every bridge a test connects is closed after it, also when it fails: a bridge left connected (with its
// scripted answers) would take the next tests' clients and fail them too
const connected: FakeBridge[] = [];
async function bridgeUp(): Promise<FakeBridge> {
  const bridge = await connectFakeBridge();
  connected.push(bridge);
  return bridge;
}
afterEach(() => {
  for (const bridge of connected.splice(0)) {
    try {
      bridge.close();
    } catch {
      // closed by the test already
    }
  }
});

async function setup(opts: { bridge?: boolean } = {}) {
  const bridge = opts.bridge === false ? null : await bridgeUp();
  const u = await newUser();
  const { clientId, clientKey } = await addClient(u.apiKey);
  const ref = await refOf(clientId);
  await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/wa' } });
  const send = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'hello', ...body }, headers });
  const status = async (id: string) => (await call(`/api/messages/${id}`, { key: u.apiKey })).json;
  return { bridge, u, clientId, clientKey, ref, send, status, hub: env.CLIENT_HUB.getByName(`client:${ref}`) };
}

describe('the send queue', () => {
  it('a send answers queued at once; its id follows it to sent in GET /api/messages/{id}, the message_sent webhook and the sent list', async () => {
    const { bridge, u, ref, send, status } = await setup();
    const res = await send({ message: 'queued hello' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: true, status: expect.stringMatching(/^(queued|sending|sent)$/), to: '15550000001' });
    const id: string = res.json.messageId;
    expect(id).toMatch(/^q[0-9a-z]+_r[0-9a-f]{24}$/);
    const sent = await until('sent', async () => ((await status(id)).status === 'sent' ? status(id) : undefined));
    expect(sent).toMatchObject({ messageId: id, status: 'sent', channel: 'whatsapp', reason: null, whatsappId: expect.stringMatching(/^FAKE/) });
    expect(sendKeys(bridge!)).toEqual([id]); // the queue id is the bridge's send key
    expect((await deliveries(ref, 'message_sent')).map((d) => d.messageId)).toEqual([id]);
    expect((await call('/api/sent-messages', { key: u.apiKey })).json[0]).toMatchObject({ messageId: id, status: 'sent' });
    bridge!.close();
  });

  it('with a wait, the outcome: sent, or the refusal as its error — recorded failed, with a message_failed webhook', async () => {
    const { bridge, ref, send, status } = await setup();
    const waited = await send({ message: 'now please', wait: true });
    expect(waited.json).toMatchObject({ status: 'sent' });
    const preferred = await send({ message: 'prefer' }, { prefer: 'wait=5' });
    expect(preferred.json.status).toBe('sent');
    const answer = bridge!.answer;
    bridge!.answer = (frame) =>
      frame.op === 'send' && frame.params.text === 'refused' ? { ok: false, code: 'READ_ONLY_CHAT', message: 'Only admins can send here' } : answer(frame);
    const refused = await send({ message: 'refused', wait: 10 });
    expect([refused.status, refused.json.code]).toEqual([403, 'READ_ONLY_CHAT']);
    const [failed] = await deliveries(ref, 'message_failed');
    expect(failed).toMatchObject({ code: 'READ_ONLY_CHAT', body: 'refused', to: '15550000001' });
    expect(await status(failed.messageId)).toMatchObject({ status: 'failed', reason: 'READ_ONLY_CHAT: Only admins can send here' });
    bridge!.close();
  });

  it('an outage is waited out: queued while no bridge holds the number, sent once it is back; a cancelled one never goes', async () => {
    const { u, ref, send, status, hub } = await setup({ bridge: false });
    const first = (await send({ message: 'while down' })).json;
    const dropped = (await send({ message: 'cancel me' })).json;
    expect(first.status).toBe('queued');
    await until('tried', async () => (await status(first.messageId)).reason?.includes('BRIDGE_UNAVAILABLE'));
    const waiting = await status(first.messageId);
    expect(waiting).toMatchObject({ status: 'queued', lane: 'bulk' });
    expect(Date.parse(waiting.expiresAt) - Date.parse(waiting.queuedAt)).toBe(24 * 3_600_000);
    const queue = (await call(`/api/clients/${first.clientId}/queue`, { key: u.apiKey })).json;
    expect(queue).toMatchObject({ depth: 2, bulk: 2, interactive: 0, pausedUntil: null });
    const cancelled = await call(`/api/messages/${dropped.messageId}`, { method: 'DELETE', key: u.apiKey });
    expect(cancelled.json).toMatchObject({ status: 'cancelled' });

    const bridge = await bridgeUp();
    await hub.apply({ status: 'connected', connectedNumber: '972501234567@c.us' }); // the session came back
    await until('sent', async () => (await status(first.messageId)).status === 'sent');
    expect(sendKeys(bridge)).toEqual([first.messageId]);
    expect((await call(`/api/messages/${dropped.messageId}`, { method: 'DELETE', key: u.apiKey })).json.code).toBe('NOT_QUEUED');
    expect((await call(`/api/messages/${first.messageId}`, { method: 'DELETE', key: u.apiKey })).status).toBe(409);
    expect((await deliveries(ref, 'message_sent')).map((d) => d.messageId)).toEqual([first.messageId]);
    bridge.close();
  });

  it("a long outage's backoff does not hold its messages once the number is back", async () => {
    const { send, status, hub } = await setup({ bridge: false });
    const { messageId } = (await send({ message: 'while down' })).json;
    await until('tried', async () => (await status(messageId)).reason?.includes('BRIDGE_UNAVAILABLE'));
    await makeQueueDue(hub, Date.now() + OUTAGE_RETRY_MS); // the wait a long outage's backoff reaches
    const bridge = await bridgeUp();
    await hub.apply({ status: 'connected', connectedNumber: '972501234567@c.us' });
    await until('sent', async () => (await status(messageId)).status === 'sent');
    expect(sendKeys(bridge)).toEqual([messageId]);
    bridge.close();
  });

  it("an outage's tries do not use up a message's tries for a bridge that answers late: after many, one timeout is still tried again", async () => {
    const { send, status, hub } = await setup({ bridge: false });
    const { messageId } = (await send({ message: 'through a long outage' })).json;
    for (let i = 0; i < 6; i++) {
      await makeQueueDue(hub);
      await runDurableObjectAlarm(hub);
    }
    expect(await status(messageId)).toMatchObject({ status: 'queued', reason: expect.stringContaining('BRIDGE_UNAVAILABLE') });
    const bridge = await bridgeUp();
    const answer = bridge.answer;
    let late = 0;
    bridge.answer = (frame) => (frame.op === 'send' && late++ === 0 ? { ok: false, code: 'BRIDGE_TIMEOUT', message: 'no answer in time' } : answer(frame));
    await hub.apply({ status: 'connected', connectedNumber: '972501234567@c.us' });
    await until('tried late', async () => (await status(messageId)).reason?.includes('BRIDGE_TIMEOUT'));
    expect((await status(messageId)).status).toBe('queued');
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub);
    await until('sent', async () => (await status(messageId)).status === 'sent');
    bridge.close();
  });

  it('a round of long messages is recorded in full: their rows go in as many statements as their size needs', async () => {
    const { send, hub, ref } = await setup({ bridge: false });
    // 24 texts of 60,000 two-byte characters queued during an outage go in few rounds once the number is back
    const ids: string[] = [];
    for (let i = 0; i < 24; i++)
      ids.push((await send({ message: `${i}:${'é'.repeat(60_000)}`, number: `1555000${String(i).padStart(4, '0')}` })).json.messageId);
    const bridge = await bridgeUp();
    await hub.apply({ status: 'connected', connectedNumber: '972501234567@c.us' });
    const rows = await until(
      'all recorded',
      async () => {
        const { results } = await env.DB.prepare('SELECT queue_id, status, length(message) AS n FROM sent_messages WHERE client_ref = ?')
          .bind(ref)
          .all<{ queue_id: string; status: string; n: number }>();
        return results.length === ids.length ? results : undefined;
      },
      20_000,
    );
    expect(rows.map((r) => [r.queue_id, r.status, r.n]).sort()).toEqual(ids.map((id, i) => [id, 'sent', 60_000 + `${i}:`.length]).sort());
    bridge.close();
  }, 30_000);

  it('a message not sent before it expires fails with EXPIRED and a message_failed webhook', async () => {
    const { ref, status, hub } = await setup({ bridge: false });
    const id = `q${ref.toString(36)}_rexpiring0000000000000000`;
    await hub.enqueue(ref, [
      { id, send: { to: '15550000009', text: 'too late', origin: 'api' }, lane: 'bulk', notBefore: Date.now(), expiresAt: Date.now() + 150 },
    ]);
    await new Promise((r) => setTimeout(r, 200));
    await runDurableObjectAlarm(hub);
    expect(await status(id)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^EXPIRED: not sent within/) });
    expect((await deliveries(ref, 'message_failed')).map((d) => [d.messageId, d.code])).toEqual([[id, 'EXPIRED']]);
  });

  it('sent messages D1 could not record are still sent: shown so, not cancellable, recorded once D1 takes it — while paused, past expiry — never sent again', async () => {
    const { bridge, u, ref, send, status, hub } = await setup();
    // D1 refuses these messages' rows (as a failing write would)
    await env.DB.exec(
      "CREATE TRIGGER refuse_unrecorded BEFORE INSERT ON sent_messages WHEN NEW.message = 'unrecorded' BEGIN SELECT RAISE(ABORT, 'D1 is having a bad day'); END",
    );
    const rows = (id: string) => env.DB.prepare('SELECT count(*) AS n FROM sent_messages WHERE queue_id = ?').bind(id).first<{ n: number }>();
    try {
      const expiring: string = (await send({ message: 'unrecorded', wait: true })).json.messageId;
      const { messageId: id } = (await send({ message: 'unrecorded', number: '15550000002' })).json;
      const shown = await until('sent but unrecorded', async () => {
        const s = await status(id);
        return s.status === 'sent' ? s : undefined;
      });
      expect(shown).toMatchObject({ status: 'sent', whatsappId: expect.stringMatching(/^FAKE/), lane: 'bulk' });
      expect((await rows(id))?.n).toBe(0);
      expect((await call(`/api/messages/${id}`, { method: 'DELETE', key: u.apiKey })).json).toMatchObject({ code: 'NOT_QUEUED' });
      // a round while D1 still refuses changes nothing
      await makeQueueDue(hub);
      await runDurableObjectAlarm(hub);
      expect(await status(id)).toMatchObject({ status: 'sent', lane: 'bulk' });
      expect((await rows(id))?.n).toBe(0);
      // then WhatsApp pauses the number, and one's time runs out while it waits
      await hub.refusedAfterSend(ref, '463: reach-out limit');
      await runInDurableObject(hub, (_obj, state) => state.storage.sql.exec('UPDATE send_queue SET expires_at = ? WHERE id = ?', Date.now() - 1, expiring));
      await env.DB.exec('DROP TRIGGER refuse_unrecorded');
      await makeQueueDue(hub);
      await runDurableObjectAlarm(hub);
      // both recorded as they were, though the number is paused
      expect(await status(id)).toMatchObject({ status: 'sent', reason: null, whatsappId: shown.whatsappId, lane: null });
      expect(await status(expiring)).toMatchObject({ status: 'sent', reason: null, lane: null });
      expect((await call(`/api/clients/${shown.clientId}/queue`, { key: u.apiKey })).json).toMatchObject({ depth: 0, pausedUntil: expect.any(String) });
      expect(sendKeys(bridge!)).toEqual([expiring, id]); // each asked of the bridge once
      expect((await deliveries(ref, 'message_sent')).map((d) => d.messageId)).toEqual([expiring, id]);
      expect(await deliveries(ref, 'message_failed')).toEqual([]);
    } finally {
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_unrecorded');
      bridge!.close();
    }
  });

  it('a late ack of a send D1 has not recorded yet waits for the record (past the minute an unknown ack is held): the message ends read', async () => {
    const { bridge, ref, send, status, hub } = await setup();
    await env.DB.exec(
      "CREATE TRIGGER refuse_acked BEFORE INSERT ON sent_messages WHEN NEW.message = 'acked early' BEGIN SELECT RAISE(ABORT, 'D1 is having a bad day'); END",
    );
    const offerRead = (whatsappId: string, id: string) =>
      bridge!.ws.send(
        JSON.stringify({
          t: 'event',
          id,
          clientRef: ref,
          at: Date.now() - 5 * 60_000, // from before a long D1 outage
          event: { kind: 'ack', messageId: whatsappId, to: '15550000001', ack: 3 },
        }),
      );
    let whatsappId: string;
    let id: string;
    try {
      ({ messageId: id } = (await send({ message: 'acked early' })).json);
      whatsappId = (await until('sent, not recorded', async () => (await status(id)).whatsappId)) as string;
      offerRead(whatsappId, 'read-before-record-1');
      await new Promise((r) => setTimeout(r, 200));
      expect(bridge!.frames.some((f) => f.t === 'ack' && f.ids.includes('read-before-record-1'))).toBe(false); // held
    } finally {
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_acked');
    }
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub);
    expect(await status(id)).toMatchObject({ status: 'sent', lane: null });
    offerRead(whatsappId, 'read-before-record-1'); // the bridge offers it again
    await bridge!.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('read-before-record-1')));
    expect(await status(id)).toMatchObject({ status: 'read' });
    expect((await deliveries(ref, 'message_ack')).map((d) => [d.messageId, d.status])).toEqual([[id, 'read']]);
    bridge!.close();
  });

  it('a cancel D1 could not record is still a cancel: answered cancelled, never sent, recorded later, and the sends behind it go', async () => {
    const { u, send, status, hub } = await setup({ bridge: false });
    const { messageId: dropped } = (await send({ message: 'cancel me' })).json;
    await env.DB.exec(
      "CREATE TRIGGER refuse_cancel BEFORE INSERT ON sent_messages WHEN NEW.status = 'cancelled' BEGIN SELECT RAISE(ABORT, 'D1 is having a bad day'); END",
    );
    try {
      const cancelled = await call(`/api/messages/${dropped}`, { method: 'DELETE', key: u.apiKey });
      expect([cancelled.status, cancelled.json.status]).toEqual([200, 'cancelled']);
      const later = await bridgeUp();
      await hub.apply({ status: 'connected', connectedNumber: '972501234567@c.us' });
      const { messageId: behind } = (await send({ message: 'after the cancel', wait: true })).json;
      expect(await status(behind)).toMatchObject({ status: 'sent' });
      expect(await status(dropped)).toMatchObject({ status: 'cancelled', lane: 'bulk' });
      expect(sendKeys(later)).toEqual([behind]);
      // a round while D1 still refuses it: it stays cancelled, kept, and never goes
      await makeQueueDue(hub);
      await runDurableObjectAlarm(hub);
      expect(await status(dropped)).toMatchObject({ status: 'cancelled', lane: 'bulk' });
      expect(sendKeys(later)).toEqual([behind]);
      later.close();
    } finally {
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_cancel');
    }
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub);
    expect(await status(dropped)).toMatchObject({ status: 'cancelled', lane: null });
    expect((await hub.queueView()).counts.depth).toBe(0);
  });

  it('one outcome D1 refuses for good does not hold back the others recorded with it', async () => {
    const { bridge, ref, status, hub } = await setup();
    await env.DB.exec(
      "CREATE TRIGGER refuse_poison BEFORE INSERT ON sent_messages WHEN NEW.message = 'poison' BEGIN SELECT RAISE(ABORT, 'D1 will never take this one'); END",
    );
    try {
      const now = Date.now();
      const ids = ['poison', 'fine', 'fine too'].map((_, i) => `q${ref.toString(36)}_rpoisonround0000000000000${i}`);
      // queued together: one round, one batch of outcomes, refused as a whole
      await hub.enqueue(
        ref,
        ['poison', 'fine', 'fine too'].map((text, i) => ({
          id: ids[i]!,
          send: { to: `1555000020${i}`, text, origin: 'api' as const },
          lane: 'bulk' as const,
          notBefore: now,
        })),
      );
      await until('sent, none recorded', async () => (await Promise.all(ids.map(status))).every((s) => s.status === 'sent' && s.lane === 'bulk'));
      await makeQueueDue(hub);
      await runDurableObjectAlarm(hub);
      const [poison, ...fine] = await Promise.all(ids.map(status));
      expect(fine.map((s) => [s.status, s.lane])).toEqual([
        ['sent', null],
        ['sent', null],
      ]);
      expect([poison.status, poison.lane, poison.reason]).toEqual(['sent', 'bulk', null]);
      expect((await hub.queueView()).counts.depth).toBe(1);
    } finally {
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_poison');
      bridge!.close();
    }
  });

  it('a round that fails on the way (a D1 read) leaves nothing marked sending: the message waits, can be cancelled, and goes once D1 is back', async () => {
    const { bridge, u, clientId, send, status, hub } = await setup();
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { minIntervalMs: 1, jitterMs: 0, newContactsPerDay: 50 } });
    // the paced round asks D1 whether the recipient is a new contact: that read fails
    await env.DB.exec('ALTER TABLE received_messages RENAME TO received_messages_away');
    let kept: string;
    let dropped: string;
    // the hub logs a round that failed (its object shares this isolate)
    const logged = vi.spyOn(console, 'error');
    try {
      kept = (await send({ message: 'after the failure' })).json.messageId;
      dropped = (await send({ message: 'cancel me after the failure', number: '15550000002' })).json.messageId;
      await until('a failed round', async () => logged.mock.calls.some((call) => call.some((a) => String(a).includes('received_messages'))));
      expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json).toMatchObject({ depth: 2, sending: 0 });
      expect(await status(kept)).toMatchObject({ status: 'queued' });
      expect((await call(`/api/messages/${dropped}`, { method: 'DELETE', key: u.apiKey })).json).toMatchObject({ status: 'cancelled' });
    } finally {
      logged.mockRestore();
      await env.DB.exec('ALTER TABLE received_messages_away RENAME TO received_messages');
    }
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub);
    await until('sent', async () => (await status(kept)).status === 'sent');
    expect(sendKeys(bridge!)).toEqual([kept]);
    bridge!.close();
  });

  it('a send already queued is answered as it stands when queued again, even with the queue full: never refused or failed', async () => {
    const { u, clientId, ref, send, status, hub } = await setup({ bridge: false });
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueued: 1 } });
    const { messageId } = (await send({ message: 'waiting' })).json;
    expect((await send({ message: 'one too many' })).json.code).toBe('QUEUE_FULL');
    const again = await hub.enqueue(ref, [{ id: messageId, send: { to: '15550000001', text: 'waiting', origin: 'api' }, lane: 'bulk', notBefore: Date.now() }]);
    expect(again).toEqual([{ id: messageId, status: 'queued' }]);
    expect(await status(messageId)).toMatchObject({ status: 'queued' });
    expect(await deliveries(ref, 'message_failed')).toEqual([]);
  });

  it('a send offered again just after it left the queue (its cause re-offered after a crash) is not queued or sent a second time', async () => {
    const { bridge, ref, send, status, hub } = await setup();
    const { messageId } = (await send({ message: 'once only', wait: true })).json;
    expect(await status(messageId)).toMatchObject({ status: 'sent' });
    const again = await hub.enqueue(
      ref,
      [{ id: messageId, send: { to: '15550000001', text: 'once only', origin: 'reply' }, lane: 'interactive', notBefore: Date.now() }],
      1000,
    );
    expect(again).toEqual([{ id: messageId, status: 'sent', messageId: expect.stringMatching(/^FAKE/), timestamp: expect.any(Number) }]);
    expect((await hub.queueView()).counts.depth).toBe(0);
    // D1 cannot say how it ended: answered queued (the offer does not fail), still not queued a second time
    const logged = vi.spyOn(console, 'error');
    await env.DB.exec('ALTER TABLE sent_messages RENAME TO sent_messages_away');
    try {
      const blind = await hub.enqueue(
        ref,
        [{ id: messageId, send: { to: '15550000001', text: 'once only', origin: 'reply' }, lane: 'interactive', notBefore: Date.now() }],
        1000,
      );
      expect(blind).toEqual([{ id: messageId, status: 'queued' }]);
      expect(logged.mock.calls.some(([m]) => String(m).includes(`the outcome of ${messageId} could not be read`))).toBe(true);
    } finally {
      await env.DB.exec('ALTER TABLE sent_messages_away RENAME TO sent_messages');
      logged.mockRestore();
    }
    expect((await hub.queueView()).counts.depth).toBe(0);
    await runDurableObjectAlarm(hub);
    expect(sendKeys(bridge!)).toEqual([messageId]);
    expect(await status(messageId)).toMatchObject({ status: 'sent', lane: null });
    bridge!.close();
  });

  it('an expired message D1 will not record does not fail the round: it keeps its EXPIRED outcome, the rest goes', async () => {
    const { bridge, ref, send, status, hub } = await setup();
    await env.DB.exec(
      "CREATE TRIGGER refuse_expired BEFORE INSERT ON sent_messages WHEN NEW.message = 'expired poison' BEGIN SELECT RAISE(ABORT, 'D1 refuses the expired poison'); END",
    );
    const logged = vi.spyOn(console, 'error');
    try {
      const id = `q${ref.toString(36)}_rexpiredpoison0000000000`;
      await hub.enqueue(ref, [
        { id, send: { to: '15550000009', text: 'expired poison', origin: 'api' }, lane: 'bulk', notBefore: Date.now() + 60_000, expiresAt: Date.now() + 100 },
      ]);
      await new Promise((r) => setTimeout(r, 150));
      const { messageId } = (await send({ message: 'behind it', wait: true })).json;
      expect(await status(messageId)).toMatchObject({ status: 'sent' });
      expect(await status(id)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^EXPIRED: /), lane: 'bulk' });
      expect(sendKeys(bridge!)).toEqual([messageId]);
      // its record failed, and only that: no round failed with it
      const failures = logged.mock.calls.filter((call) => call.some((a) => String(a).includes('D1 refuses the expired poison')));
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.filter(([first]) => String(first).startsWith('send queue drain failed'))).toEqual([]);
    } finally {
      logged.mockRestore();
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_expired');
      bridge!.close();
    }
  });

  it('a keyed request retried after its first attempt died and its id left the queue long ago is answered as it was, not sent again', async () => {
    const { bridge, send, hub } = await setup();
    const first = await send({ message: 'keyed once', wait: true }, { 'idempotency-key': 'took-over-later' });
    expect(first.json.status).toBe('sent');
    // the first attempt's worker died before its answer was kept (the key in progress, taken over after 2 min),
    // and the queue forgot the id (10 min after it left)
    await env.DB.prepare('UPDATE idempotency_keys SET status = NULL, response = NULL, created_at = ? WHERE key = ?')
      .bind(Date.now() - 3 * 60_000, 'took-over-later')
      .run();
    await runInDurableObject(hub, (_obj, state) => state.storage.sql.exec('DELETE FROM send_queue_left'));
    const retried = await send({ message: 'keyed once', wait: true }, { 'idempotency-key': 'took-over-later' });
    expect([retried.status, retried.json.messageId, retried.json.status]).toEqual([200, first.json.messageId, 'sent']);
    expect(sendKeys(bridge!)).toEqual([first.json.messageId]);
    bridge!.close();
  });

  it('a keyed retry of a message WhatsApp refused after it went is answered sent, as its first attempt was; one with a fallback puts the fallback back on record', async () => {
    const { bridge, ref, send, status, hub } = await setup();
    // the first attempt died before its answer was kept, the queue forgot the id: the retry takes the key over
    const diedAfterQueueing = async (key: string) => {
      await env.DB.prepare('UPDATE idempotency_keys SET status = NULL, response = NULL, created_at = ? WHERE key = ?')
        .bind(Date.now() - 3 * 60_000, key)
        .run();
      await runInDurableObject(hub, (_obj, state) => state.storage.sql.exec('DELETE FROM send_queue_left'));
    };
    const refused = await send({ message: 'refused later', wait: true }, { 'idempotency-key': 'nacked' });
    expect(refused.json.status).toBe('sent');
    const { whatsappId } = await status(refused.json.messageId);
    bridge!.ws.send(
      JSON.stringify({
        t: 'event',
        id: 'nack-keyed',
        clientRef: ref,
        at: Date.now(),
        event: { kind: 'ack', messageId: whatsappId, to: '15550000001', ack: -1, error: '479' },
      }),
    );
    await until('refused after it went', async () => (await status(refused.json.messageId)).status === 'failed');
    await diedAfterQueueing('nacked');
    const again = await send({ message: 'refused later', wait: true }, { 'idempotency-key': 'nacked' });
    expect([again.status, again.json.messageId, again.json.status]).toEqual([200, refused.json.messageId, 'sent']);
    // with a fallback the first attempt did not live to keep on record: the retry keeps it, and the hub looks at it
    const fallback = { channel: 'sms', afterSeconds: 30 };
    const first = await send({ message: 'with a fallback', wait: true, fallback }, { 'idempotency-key': 'fell-back' });
    expect(first.json.status).toBe('sent');
    await env.DB.prepare('DELETE FROM send_fallbacks WHERE queue_id = ?').bind(first.json.messageId).run();
    await runInDurableObject(hub, (_obj, state) => state.storage.delete('fallbacks'));
    expect((await status(first.json.messageId)).fallback ?? null).toBeNull();
    await diedAfterQueueing('fell-back');
    const retried = await send({ message: 'with a fallback', wait: true, fallback }, { 'idempotency-key': 'fell-back' });
    expect([retried.json.messageId, retried.json.status]).toEqual([first.json.messageId, 'sent']);
    expect((await status(first.json.messageId)).fallback).toMatchObject({ channel: 'sms', outcome: 'waiting' });
    expect(await runInDurableObject(hub, (_obj, state) => state.storage.get('fallbacks'))).toBe(true);
    expect(sendKeys(bridge!)).toEqual([refused.json.messageId, first.json.messageId]); // neither went twice
  });

  it('the queue is bounded: past its limit a send is refused with 429 QUEUE_FULL and nothing is queued', async () => {
    const { u, clientId, send } = await setup({ bridge: false });
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueued: 2 } });
    expect((await send({ message: 'one' })).status).toBe(200);
    expect((await send({ message: 'two' })).status).toBe(200);
    const full = await send({ message: 'three' });
    expect([full.status, full.json.code, full.headers.get('retry-after')]).toEqual([429, 'QUEUE_FULL', '60']);
    expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.depth).toBe(2);
    // a refusal that queued nothing does not use up an Idempotency-Key: the retry after Retry-After goes
    const keyed = await send({ message: 'four' }, { 'idempotency-key': 'full-then-room' });
    expect(keyed.json.code).toBe('QUEUE_FULL');
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueued: 3 } });
    const retried = await send({ message: 'four' }, { 'idempotency-key': 'full-then-room' });
    expect([retried.status, retried.json.status]).toEqual([200, 'queued']);
  });

  it('the queue is bounded by size too: long texts past maxQueuedChars are refused, and room comes back as they leave', async () => {
    const { u, clientId, send, status } = await setup({ bridge: false });
    expect((await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueuedChars: 65_536 } })).status).toBe(400); // below one long message
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueuedChars: 262_144 } });
    const long = (c: string) => c.repeat(60_000);
    const first = (await send({ message: long('a') })).json.messageId;
    for (const c of 'bcd') expect((await send({ message: long(c) })).status).toBe(200);
    const full = await send({ message: long('e') });
    expect([full.status, full.json.code]).toEqual([429, 'QUEUE_FULL']);
    expect(full.json.error).toMatch(/4 waiting/);
    // a short one still fits; a cancelled long one gives its room back
    expect((await send({ message: 'short' })).status).toBe(200);
    expect((await call(`/api/messages/${first}`, { method: 'DELETE', key: u.apiKey })).status).toBe(200);
    expect(await status(first)).toMatchObject({ status: 'cancelled' });
    expect((await send({ message: long('e') })).status).toBe(200);
  });

  it('interactive sends go ahead of bulk ones queued before them', async () => {
    const { send, status, hub } = await setup({ bridge: false });
    const bulk1 = (await send({ message: 'bulk 1' })).json.messageId;
    const bulk2 = (await send({ message: 'bulk 2' })).json.messageId;
    const reply = (await send({ message: 'a reply', priority: 'interactive' })).json.messageId;
    await until('tried', async () => (await status(bulk2)).reason);
    const bridge = await bridgeUp();
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub);
    expect(sendKeys(bridge)).toEqual([reply, bulk1, bulk2]);
    bridge.close();
  });

  it('another user cannot see, cancel or guess a message; a client key sees only its own client', async () => {
    const { bridge, send, clientKey } = await setup();
    const id = (await send({ message: 'mine' })).json.messageId;
    const other = await newUser();
    expect((await call(`/api/messages/${id}`, { key: other.apiKey })).status).toBe(404);
    expect((await call(`/api/messages/${id}`, { method: 'DELETE', key: other.apiKey })).status).toBe(404);
    expect((await call('/api/messages/not-an-id', { key: other.apiKey })).status).toBe(404);
    expect((await call(`/api/messages/${id}`, { key: clientKey })).status).toBe(200);
    const second = await addClient(other.apiKey);
    expect((await call(`/api/messages/${id}`, { key: second.clientKey })).status).toBe(404);
    bridge!.close();
  });
});

describe('the governor through the queue', () => {
  it('sends queued while the whole number waits out its interval start no round (a backlog is not read per send); they go when it ends', async () => {
    const { bridge, u, clientId, ref, send, hub } = await setup();
    await call(`/api/clients/${clientId}/governor`, {
      method: 'PUT',
      key: u.apiKey,
      body: { minIntervalMs: 60_000, jitterMs: 0, newContactsPerDay: null, warmup: null },
    });
    const first = (await send({ message: 'first' })).json.messageId;
    const later: string[] = [(await send({ message: 'later 0' })).json.messageId];
    const queue = () => call(`/api/clients/${clientId}/queue`, { key: u.apiKey }).then((r) => r.json);
    await until('first sent, the next held', async () => sendKeys(bridge!).length === 1 && (await queue()).heldBy === 'interval');
    const reads = vi.spyOn(QueueStore.prototype, 'ready');
    try {
      for (let i = 1; i < 5; i++) later.push((await send({ message: `later ${i}` })).json.messageId);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
    expect(await queue()).toMatchObject({ depth: 5, heldBy: 'interval' });
    // a message expiring before the interval ends wakes the number sooner, but the next send time stays the interval's end
    const held = Date.parse((await queue()).nextSendAt);
    await hub.enqueue(ref, [
      {
        id: `q${ref.toString(36)}_rexpiresinside00`,
        send: { to: '15550000002', text: 'short', origin: 'api' },
        lane: 'bulk',
        notBefore: Date.now(),
        expiresAt: Date.now() + 20_000,
      },
    ]);
    await runInDurableObject(hub, (_, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(hub);
    expect(await runInDurableObject(hub, (_, state) => state.storage.getAlarm())).toBeLessThanOrEqual(Date.now() + 20_000);
    expect(Date.parse((await queue()).nextSendAt)).toBe(held);
    await runInDurableObject(hub, async (_, state) => {
      const s = (await state.storage.get<any>('governor'))!;
      await state.storage.put('governor', { ...s, nextAt: Date.now() - 1 });
    });
    await runDurableObjectAlarm(hub);
    expect(sendKeys(bridge!)).toEqual([first, later[0]]); // one per interval, in order
  });

  it('a paced number sends one at a time: the next held by the interval, then by the day’s new-contact cap; nothing dropped', async () => {
    const { bridge, u, clientId, send, hub } = await setup();
    const put = await call(`/api/clients/${clientId}/governor`, {
      method: 'PUT',
      key: u.apiKey,
      body: { minIntervalMs: 60_000, jitterMs: 0, newContactsPerDay: 2, warmup: null },
    });
    expect(put.json.policy).toMatchObject({ minIntervalMs: 60_000, newContactsPerDay: 2 });
    const ids = [];
    // three new contacts, then the first again (known by then): the capped third must not hold it back
    for (const n of ['9721000001', '9721000002', '9721000003', '9721000001']) ids.push((await send({ number: n, message: `to ${n}` })).json.messageId);
    const queue = () => call(`/api/clients/${clientId}/queue`, { key: u.apiKey }).then((r) => r.json);
    await until('first sent', async () => sendKeys(bridge!).length === 1 && (await queue()).heldBy === 'interval');
    const held = await queue();
    expect(held).toMatchObject({ depth: 3, heldBy: 'interval' });
    expect(Date.parse(held.nextSendAt)).toBeGreaterThan(Date.now() + 55_000);
    // the interval has passed: the second new contact goes, the third waits for tomorrow (the cap is 2)
    const passInterval = () =>
      runInDurableObject(hub, async (_, state) => {
        const s = (await state.storage.get<any>('governor'))!;
        await state.storage.put('governor', { ...s, nextAt: Date.now() - 1 });
      });
    await passInterval();
    await runDurableObjectAlarm(hub);
    expect(sendKeys(bridge!)).toEqual(ids.slice(0, 2));
    await passInterval();
    await runDurableObjectAlarm(hub);
    // the third waits for tomorrow's cap; the message to a known contact behind it goes
    expect(sendKeys(bridge!)).toEqual([ids[0], ids[1], ids[3]]);
    const tomorrow = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;
    const capped = await queue();
    expect(capped).toMatchObject({ depth: 1, heldBy: 'new_contact_cap' });
    expect(Date.parse(capped.nextSendAt)).toBe(tomorrow);
    const third = (await call(`/api/messages/${ids[2]}`, { key: u.apiKey })).json;
    expect(third).toMatchObject({ status: 'queued', reason: expect.stringMatching(/^NEW_CONTACT_CAP: .*reached the number's cap/) });
    // a higher cap lets it go now (after the interval)
    await call(`/api/clients/${clientId}/governor`, {
      method: 'PUT',
      key: u.apiKey,
      body: { minIntervalMs: 60_000, jitterMs: 0, newContactsPerDay: 3, warmup: null },
    });
    await passInterval();
    await runDurableObjectAlarm(hub);
    expect(sendKeys(bridge!)).toEqual([ids[0], ids[1], ids[3], ids[2]]);
    bridge!.close();
  });

  it('another phone pairing with the client starts the warm-up again: the new number begins at the ramp', async () => {
    const { bridge, u, clientId, ref, send, hub } = await setup();
    await call(`/api/clients/${clientId}/governor`, {
      method: 'PUT',
      key: u.apiKey,
      body: { minIntervalMs: 0, jitterMs: 0, newContactsPerDay: 50, warmup: { days: 7, startPerDay: 1 } },
    });
    const connected = (number: string, id: string) =>
      bridge!.ws.send(
        JSON.stringify({ t: 'event', id, clientRef: ref, at: Date.now(), event: { kind: 'status', status: 'connected', connectedNumber: number } }),
      );
    connected('972500000001@c.us', 'paired-first-01');
    await bridge!.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('paired-first-01')));
    // paired a month ago: past its warm-up
    const monthAgo = Date.now() - 30 * 86_400_000;
    await runInDurableObject(hub, async (_, state) => {
      await state.storage.put('pairedAt', monthAgo);
      await state.storage.put('governor', freshState(monthAgo));
    });
    const a = [(await send({ number: '9723000001', wait: true })).json, (await send({ number: '9723000002', wait: true })).json];
    expect(a.map((r) => r.status)).toEqual(['sent', 'sent']);
    // another phone pairs: its first day allows one first message to a new contact
    connected('972500000002@c.us', 'paired-second-1');
    await bridge!.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('paired-second-1')));
    expect((await send({ number: '9723000003', wait: true })).json.status).toBe('sent');
    const capped = (await send({ number: '9723000004' })).json.messageId;
    await until('capped', async () => (await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.heldBy === 'new_contact_cap');
    expect((await call(`/api/messages/${capped}`, { key: u.apiKey })).json).toMatchObject({
      status: 'queued',
      reason: expect.stringMatching(/^NEW_CONTACT_CAP/),
    });
    bridge!.close();
  });

  it("WhatsApp's 463 pauses the number: the message waits, the owner gets a client_status webhook, the queue shows why", async () => {
    const { bridge, u, clientId, ref, send, status } = await setup();
    bridge!.answer = (frame) =>
      frame.op === 'send' ? { ok: false, code: 'WHATSAPP_RATE_LIMIT', message: '463: reach-out limit' } : { ok: true, result: null };
    const id = (await send({ message: 'to a stranger' })).json.messageId;
    await until('paused', async () => (await deliveries(ref, 'client_status')).length === 1);
    const [paused] = await deliveries(ref, 'client_status');
    expect(paused.reason).toMatch(/^sending paused until .*463/);
    const queue = (await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json;
    expect(queue).toMatchObject({ depth: 1, pauseReason: '463: reach-out limit' });
    expect(Date.parse(queue.pausedUntil)).toBeGreaterThan(Date.now() + 55_000); // the sandbox default pause: 60 s
    expect(await status(id)).toMatchObject({ status: 'queued', reason: expect.stringContaining('WHATSAPP_RATE_LIMIT') });
    bridge!.close();
  });

  it('a message whose expiry comes while the number is paused fails at its expiry, not when the pause ends', async () => {
    const { bridge, ref, status, hub } = await setup();
    bridge!.answer = (frame) =>
      frame.op === 'send' ? { ok: false, code: 'WHATSAPP_RATE_LIMIT', message: '463: reach-out limit' } : { ok: true, result: null };
    const id = `q${ref.toString(36)}_rshortlivedwhilepaused00`;
    const expiresAt = Date.now() + 1500;
    await hub.enqueue(ref, [{ id, send: { to: '15550000010', text: 'short-lived', origin: 'api' }, lane: 'bulk', notBefore: Date.now(), expiresAt }]);
    await until('paused', async () => (await hub.queueView()).pausedUntil !== null);
    const alarm = () => runInDurableObject(hub, (_obj, state) => state.storage.getAlarm());
    // looked at again during the pause (its alarm fired): the pause runs 60 s, the safety net 30 s, and the
    // paused round wakes the number for the expiry
    await runInDurableObject(hub, (_obj, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(hub);
    expect((await alarm()) ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(expiresAt);
    // a send queued during the pause starts no round, but wakes the number for its own expiry if that comes first
    const sooner = Date.now() + 500;
    await hub.enqueue(ref, [
      { id: `${id}x`, send: { to: '15550000011', text: 'sooner', origin: 'api' }, lane: 'bulk', notBefore: Date.now(), expiresAt: sooner },
    ]);
    expect((await alarm())!).toBeLessThanOrEqual(sooner);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 20));
    await runDurableObjectAlarm(hub);
    for (const each of [id, `${id}x`]) expect(await status(each)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^EXPIRED: /) });
  });

  it('a pause whose webhook could not be written is told on a later round, once', async () => {
    const { bridge, ref, send, hub } = await setup();
    bridge!.answer = (frame) =>
      frame.op === 'send' ? { ok: false, code: 'WHATSAPP_RATE_LIMIT', message: '463: reach-out limit' } : { ok: true, result: null };
    await env.DB.exec(
      "CREATE TRIGGER refuse_pause_news BEFORE INSERT ON webhook_deliveries WHEN NEW.event = 'client_status' BEGIN SELECT RAISE(ABORT, 'D1 refuses the pause news'); END",
    );
    const logged = vi.spyOn(console, 'error');
    try {
      await send({ message: 'to a stranger' });
      await until('paused', async () => (await hub.queueView()).pausedUntil !== null);
      // the round's telling failed (the hub logs the round)
      await until('a failed telling', async () => logged.mock.calls.some((call) => call.some((a) => String(a).includes('D1 refuses the pause news'))));
    } finally {
      logged.mockRestore();
      await env.DB.exec('DROP TRIGGER IF EXISTS refuse_pause_news');
    }
    expect(await deliveries(ref, 'client_status')).toEqual([]);
    await runInDurableObject(hub, (_obj, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(hub);
    await runDurableObjectAlarm(hub);
    const told = await deliveries(ref, 'client_status');
    expect(told.map((d) => d.reason)).toEqual([expect.stringMatching(/^sending paused until .*: 463: reach-out limit$/)]);
    bridge!.close();
  });

  it('governor settings are checked: bad values and unknown fields are 400; {} goes back to the defaults', async () => {
    const { u, clientId, clientKey } = await setup({ bridge: false });
    const put = (body: unknown) => call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body });
    // an integration's client key cannot take the number's protection away
    const byClientKey = await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: clientKey, body: { minIntervalMs: 0 } });
    expect([byClientKey.status, byClientKey.json.code]).toEqual([403, 'ACCESS_DENIED']);
    expect((await call(`/api/clients/${clientId}/governor`, { key: clientKey })).status).toBe(200);
    expect((await put({ minIntervalMs: -1 })).status).toBe(400);
    expect((await put({ speed: 'fast' })).status).toBe(400);
    expect((await put({ expiryMs: 3_600_000 })).json).toMatchObject({ policy: { expiryMs: 3_600_000 }, override: { expiryMs: 3_600_000 } });
    expect((await put({})).json).toMatchObject({ policy: { expiryMs: 86_400_000 }, override: null });
    expect((await call(`/api/clients/${clientId}/governor`, { key: (await newUser()).apiKey })).status).toBe(404);
  });
});
