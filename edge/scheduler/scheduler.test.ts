import { createExecutionContext, createScheduledController, env, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../index.ts';
import { connectFakeBridge } from '../test/fake-bridge.ts';
import { addClient, call, login, makeQueueDue, newUser } from '../test/helpers.ts';
import { scheduledQueueId } from '../services/send-queue.ts';
import { claimDue, MAX_CLAIMS } from './dispatch.ts';

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

async function clientRefOf(clientId: string): Promise<number> {
  return (await env.DB.prepare('SELECT id FROM clients WHERE client_id = ? ORDER BY id DESC').bind(clientId).first<{ id: number }>())!.id;
}

async function makeDue(id: number) {
  await env.DB.prepare('UPDATE scheduled_messages SET schedule_time = ?, retry_at = NULL WHERE id = ?')
    .bind(Date.now() - 10, id)
    .run();
}

async function row(id: number) {
  return (await env.DB.prepare('SELECT * FROM scheduled_messages WHERE id = ?').bind(id).first<Record<string, any>>())!;
}

describe('scheduling routes', () => {
  it('schedules, lists and cancels, under / and /api, with a key or a session', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const made = await call('/schedule-message', {
      key: u.apiKey,
      body: { clientId, number: '9721234567', message: 'Scheduled hello 👋', scheduleTime: inSeconds(3600).replace('Z', '+00:00') },
    });
    expect(made.status).toBe(200);
    expect(made.json).toMatchObject({
      success: true,
      clientId,
      recipient: '+9721234567',
      message: 'Scheduled hello 👋',
      status: 'pending',
      sentTime: null,
      failureReason: null,
    });
    expect(made.json.scheduleTime).toMatch(/Z$/);
    const cookie = await login(u.username, u.password);
    // 14:00 at +02:00 is 12:00 UTC: stored and shown as UTC
    const local = new Date(Date.now() + 3 * 3_600_000 + 60_000);
    const wall = new Date(local.getTime() + 2 * 3_600_000).toISOString().slice(0, 19);
    const viaSession = await call('/api/schedule-message', {
      cookie,
      body: { clientId, number: '+15550001', message: 'second', scheduleTime: `${wall}+02:00` },
    });
    expect(viaSession.status).toBe(200);
    expect(viaSession.json.scheduleTime).toBe(`${local.toISOString().slice(0, 19)}Z`);
    const list = await call('/scheduled-messages', { key: u.apiKey });
    expect(list.json.map((m: any) => m.message)).toEqual(['second', 'Scheduled hello 👋']);
    expect((await call('/api/scheduled-messages?status=pending', { cookie })).json).toHaveLength(2);
    expect((await call(`/scheduled-messages/${made.json.id}`, { method: 'DELETE', key: u.apiKey })).json).toEqual({ message: 'Schedule cancelled.' });
    const again = await call(`/api/scheduled-messages/${made.json.id}`, { method: 'DELETE', key: u.apiKey });
    expect([again.status, again.json.code]).toEqual([409, 'NOT_PENDING']);
    const other = await newUser();
    expect((await call(`/scheduled-messages/${viaSession.json.id}`, { method: 'DELETE', key: other.apiKey })).status).toBe(404);
    expect((await call('/scheduled-messages', { key: other.apiKey })).json).toEqual([]);
  });

  it('lists in bounded pages: at most `limit` rows and 1 MiB of text, with a cursor to the next page', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const big = 'x'.repeat(60_000);
    for (let i = 0; i < 20; i++) {
      const res = await call('/api/schedule-message', {
        key: u.apiKey,
        body: { clientId, number: '9721234567', message: `${i} ${big}`, scheduleTime: inSeconds(100 + i) },
      });
      expect(res.status).toBe(200);
    }
    const seen: string[] = [];
    let url: string | null = '/scheduled-messages?limit=200';
    let pages = 0;
    while (url) {
      const res = await call(url, { key: u.apiKey });
      expect(res.status).toBe(200);
      expect(res.text.length).toBeLessThan(1.2 * 1024 * 1024);
      seen.push(...res.json.map((m: any) => m.message.split(' ')[0]));
      url = res.headers.get('x-next-cursor') ? `/scheduled-messages?limit=200&cursor=${res.headers.get('x-next-cursor')}` : null;
      if (url) expect(res.headers.get('link')).toMatch(/rel="next"/);
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => String(19 - i)));
    const two = await call('/scheduled-messages?limit=2', { key: u.apiKey });
    expect(two.json).toHaveLength(2);
    expect((await call('/scheduled-messages?limit=10001', { key: u.apiKey })).status).toBe(400);
  });

  it('answers 400 for past, malformed or offset-less times and bad numbers, 404 for an unknown client', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const bad = async (body: Record<string, unknown>) =>
      (await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: 'x', scheduleTime: inSeconds(60), ...body } }))
        .status;
    expect(await bad({ scheduleTime: inSeconds(-60) })).toBe(400);
    expect(await bad({ scheduleTime: '2030-01-01T10:00:00' })).toBe(400);
    expect(await bad({ scheduleTime: 'tomorrow' })).toBe(400);
    expect(await bad({ scheduleTime: '2030-02-31T10:00:00Z' })).toBe(400);
    expect(await bad({ number: '12ab' })).toBe(400);
    expect(await bad({ message: '' })).toBe(400);
    expect(await bad({ clientId: 'nobody' })).toBe(404);
    expect((await call('/api/scheduled-messages', { key: u.apiKey })).json).toEqual([]);
  });
});

describe('dispatch', () => {
  it("the cron hands due messages to the client's object, whose alarm queues and sends each exactly once", async () => {
    const bridge = await connectFakeBridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: `due ${i}`, scheduleTime: inSeconds(30) } }))
          .json.id,
      );
    for (const id of ids) await makeDue(id);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    const hub = env.CLIENT_HUB.getByName(`client:${ref}`);
    await runDurableObjectAlarm(hub);
    for (const id of ids) expect(await row(id)).toMatchObject({ status: 'sent', lease_until: null, message_id: scheduledQueueId(ref, id) });
    const sends = bridge.frames.filter((f) => f.t === 'req' && (f.op === 'sendBatch' || f.op === 'send')).flatMap((f) => f.params.items ?? [f.params]);
    expect(sends.map((s: { key: string }) => s.key).sort()).toEqual(ids.map((id) => scheduledQueueId(ref, id)).sort());
    const listed = (await call('/api/scheduled-messages?status=sent', { key: u.apiKey })).json;
    expect(listed.every((m: any) => m.sentTime !== null)).toBe(true);
    expect((await call('/api/sent-messages', { key: u.apiKey })).json.map((m: any) => m.message).sort()).toEqual(['due 0', 'due 1', 'due 2']);
    // the message's id is the queue's: its status answers from GET /api/messages/{id}
    const status = await call(`/api/messages/${scheduledQueueId(ref, ids[0]!)}`, { key: u.apiKey });
    expect(status.json).toMatchObject({ status: 'sent', to: '9721234567' });
    bridge.close();
  });

  it('two sweeps at once claim each row once', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    for (let i = 0; i < 40; i++) {
      const id = (
        await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: `m${i}`, scheduleTime: inSeconds(30) } })
      ).json.id;
      await makeDue(id);
    }
    const [a, b, c] = await Promise.all([claimDue(env, ref, Date.now(), 25), claimDue(env, ref, Date.now(), 25), claimDue(env, ref, Date.now(), 25)]);
    const ids = [...a, ...b, ...c].map((r) => r.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('a cancel racing a send: whichever comes first wins, the other sees it', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    const first = (
      await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: 'claimed first', scheduleTime: inSeconds(30) } })
    ).json.id;
    const second = (
      await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: 'cancelled first', scheduleTime: inSeconds(30) } })
    ).json.id;
    await makeDue(first);
    const claimed = await claimDue(env, ref, Date.now());
    expect(claimed.map((r) => r.id)).toEqual([first]);
    expect((await call(`/api/scheduled-messages/${first}`, { method: 'DELETE', key: u.apiKey })).status).toBe(409);
    expect((await call(`/api/scheduled-messages/${second}`, { method: 'DELETE', key: u.apiKey })).status).toBe(200);
    await makeDue(second);
    expect(await claimDue(env, ref, Date.now())).toEqual([]);
    expect((await row(second)).status).toBe('cancelled');
  });

  it('bridge down: the due message waits in the queue (and can still be cancelled there), then goes once the bridge is back', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    const hub = env.CLIENT_HUB.getByName(`client:${ref}`);
    const schedule = async (message: string) =>
      (await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message, scheduleTime: inSeconds(30) } })).json
        .id as number;
    const id = await schedule('patience');
    const dropped = await schedule('never mind');
    await makeDue(id);
    await makeDue(dropped);
    await hub.schedule(ref, Date.now());
    await runDurableObjectAlarm(hub);
    expect(await row(id)).toMatchObject({ status: 'queued', attempts: 1 });
    const waiting = await call(`/api/messages/${scheduledQueueId(ref, id)}`, { key: u.apiKey });
    expect(waiting.json).toMatchObject({ status: 'queued', reason: expect.stringContaining('BRIDGE_UNAVAILABLE') });
    // queued, not yet sent: a cancel takes it out of the queue and settles the row
    expect((await call(`/api/scheduled-messages/${dropped}`, { method: 'DELETE', key: u.apiKey })).status).toBe(200);
    expect(await row(dropped)).toMatchObject({ status: 'cancelled' });

    const bridge = await connectFakeBridge();
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1, failure_reason: null });
    const keys = bridge.frames.filter((f) => f.t === 'req' && f.op === 'send').map((f) => f.params.key);
    expect(keys).toEqual([scheduledQueueId(ref, id)]);
    bridge.close();
  });

  it('a full queue leaves due messages pending in D1, unclaimed, and takes them once it has room', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    const hub = env.CLIENT_HUB.getByName(`client:${ref}`);
    // the number's limit is 1: the system's texts and due messages may fill 2
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueued: 1 } });
    const ids: number[] = [];
    for (const message of ['one', 'two', 'three'])
      ids.push(
        (await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message, scheduleTime: inSeconds(30) } })).json.id,
      );
    for (const id of ids) await makeDue(id);
    await hub.schedule(ref, Date.now());
    await runDurableObjectAlarm(hub); // no bridge: what joins the queue waits there
    expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.depth).toBe(2);
    expect(await row(ids[2]!)).toMatchObject({ status: 'pending', attempts: 0 }); // not claimed, not lost

    const bridge = await connectFakeBridge();
    await makeQueueDue(hub);
    await runDurableObjectAlarm(hub); // the two go; the third joins at the next look
    await runDurableObjectAlarm(hub);
    expect((await Promise.all(ids.map(row))).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    bridge.close();
  });

  it('a crash after the bridge sent it: the lapsed lease re-claims the row into the same queue id, and the keyed send is not repeated', async () => {
    const bridge = await connectFakeBridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    const id = (await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: 'once', scheduleTime: inSeconds(30) } }))
      .json.id;
    await makeDue(id);
    // the first dispatcher claimed it and "crashed" after the bridge sent it
    await claimDue(env, ref, Date.now());
    const first = bridge.answer({ op: 'send', params: { key: scheduledQueueId(ref, id) } });
    await env.DB.prepare('UPDATE scheduled_messages SET lease_until = ? WHERE id = ?')
      .bind(Date.now() - 1, id)
      .run();
    const hub = env.CLIENT_HUB.getByName(`client:${ref}`);
    await hub.schedule(ref, Date.now());
    await runDurableObjectAlarm(hub);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
    const sent = (await call('/api/sent-messages', { key: u.apiKey })).json.filter((m: any) => m.message === 'once');
    expect(sent).toHaveLength(1);
    const status = await call(`/api/messages/${scheduledQueueId(ref, id)}`, { key: u.apiKey });
    expect(status.json.whatsappId).toBe((first as any).result.messageId);
    bridge.close();
  });

  it('a row whose dispatch crashes every time is failed with the reason after a few claims, never re-claimed forever', async () => {
    const bridge = await connectFakeBridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await clientRefOf(clientId);
    const id = (
      await call('/api/schedule-message', { key: u.apiKey, body: { clientId, number: '9721234567', message: 'poison', scheduleTime: inSeconds(30) } })
    ).json.id;
    await makeDue(id);
    // every dispatcher claims it and dies before queueing it
    for (let i = 0; i < MAX_CLAIMS; i++) {
      expect((await claimDue(env, ref, Date.now())).map((r) => r.id)).toEqual([id]);
      await env.DB.prepare('UPDATE scheduled_messages SET lease_until = ? WHERE id = ?')
        .bind(Date.now() - 1, id)
        .run();
    }
    expect(await claimDue(env, ref, Date.now())).toEqual([]);
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: MAX_CLAIMS });
    expect((await row(id)).failure_reason).toMatch(/^DISPATCH_FAILED: 5 attempts/);
    expect(bridge.frames.some((f) => f.t === 'req' && (f.op === 'sendBatch' || f.op === 'send'))).toBe(false);
    bridge.close();
  });
});
