// SMS and USSD on demand through Android devices (workerd, real D1 and Durable Objects): a send queued for
// a device leaves through its long-poll, each report is an `sms_status` webhook; routing picks a healthy
// device with room on its SIM; a silent device's routed work moves, and its late report is refused;
// USSD requests are answered by id or time out.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, newDevice, newUser } from '../../test/helpers.ts';

const poll = (secret: string, wait = 0) => call(`/gateway/android/outbox?wait=${wait}`, { headers: { 'x-device-secret': secret } });
const report = (secret: string, id: number, body: Record<string, unknown>) =>
  call(`/gateway/android/outbox/${id}`, { body, headers: { 'x-device-secret': secret } });
const sims = (secret: string, list: Record<string, unknown>[]) =>
  call('/gateway/android/sims', { body: { sims: list }, headers: { 'x-device-secret': secret } });
const events = async (deviceId: string, event: string) => {
  const { results } = await env.DB.prepare(
    "SELECT w.payload FROM webhook_deliveries w JOIN devices d ON w.endpoint = 'device:' || d.id WHERE d.device_id = ? AND w.event = ? ORDER BY w.created_at",
  )
    .bind(deviceId, event)
    .all<{ payload: string }>();
  return results.map((r) => JSON.parse(r.payload).data);
};

describe('SMS on demand', () => {
  it('a named device takes the send through its long-poll and reports it; each report is an sms_status webhook', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey, 'https://hooks.example.com/sms');
    // the device waits for work; the send wakes it before its wait is over
    const started = Date.now();
    const waiting = poll(d.secret, 20);
    await new Promise((r) => setTimeout(r, 200));
    const sent = await call('/api/sms/send', { key: u.apiKey, body: { to: '+972501234567', message: 'שלום, הקוד שלך 1234', deviceId: d.deviceId, sim: 1 } });
    expect(sent.status).toBe(202);
    expect(sent.json).toMatchObject({ status: 'queued', deviceId: d.deviceId, sim: 1, to: '+972501234567' });
    expect(sent.json.id).toMatch(/^sms_[0-9a-f]{16}$/);
    expect(sent.json.segments).toEqual({ encoding: 'UCS-2', segments: 1, characters: 19, unitsPerSegment: 70 });
    const got = await waiting;
    expect(Date.now() - started).toBeLessThan(15_000); // woken by the send, not the end of its 20 s wait
    expect(got.json.messages).toEqual([
      {
        id: expect.any(Number),
        type: 'message',
        channel: 'sms',
        to: '+972501234567',
        sim: 1,
        message: 'שלום, הקוד שלך 1234',
        leaseUntil: expect.any(Number),
        leaseMs: expect.any(Number),
      },
    ]);
    const work = got.json.messages[0];
    expect((await call(`/api/sms/${sent.json.id}`, { key: u.apiKey })).json.status).toBe('sending');
    // a report on work the device never took changes nothing (a scheduled one, not offered yet)
    const later = await call('/api/sms/send', {
      key: u.apiKey,
      body: { to: '+972501234567', message: 'tomorrow', deviceId: d.deviceId, scheduleTime: new Date(Date.now() + 86_400_000).toISOString() },
    });
    const laterRow = await env.DB.prepare('SELECT id FROM device_outbox WHERE public_id = ?').bind(later.json.id).first<{ id: number }>();
    expect((await report(d.secret, laterRow!.id, { status: 'delivered' })).json.changed).toBe(false);
    expect((await call(`/api/sms/${later.json.id}`, { key: u.apiKey })).json.status).toBe('queued');
    expect((await poll(d.secret)).json.messages).toEqual([]); // not before its time
    expect((await report(d.secret, work.id, { status: 'sent' })).json).toMatchObject({ status: 'sent', changed: true });
    expect((await report(d.secret, work.id, { status: 'sent' })).json.changed).toBe(false); // a repeat changes nothing
    expect((await report(d.secret, work.id, { status: 'delivered' })).json.status).toBe('delivered');
    const now = (await call(`/api/sms/${sent.json.id}`, { key: u.apiKey })).json;
    expect(now).toMatchObject({ status: 'delivered', error: null });
    expect(now.sentAt).not.toBeNull();
    expect(now.deliveredAt).not.toBeNull();
    expect((await events(d.deviceId, 'sms_status')).map((e) => [e.id, e.status, e.segments])).toEqual([
      [sent.json.id, 'sent', 1],
      [sent.json.id, 'delivered', 1],
    ]);
    // another account cannot see it
    const other = await newUser();
    expect((await call(`/api/sms/${sent.json.id}`, { key: other.apiKey })).status).toBe(404);
  });

  it('routes to a healthy device with room on a SIM, fewest queued first; a full fleet is a 429', async () => {
    const u = await newUser();
    const a = await newDevice(u.apiKey);
    const b = await newDevice(u.apiKey);
    const asleep = await newDevice(u.apiKey); // never seen: never routed to
    for (const d of [a, b]) expect((await sims(d.secret, [{ slot: 1, carrier: 'Partner', dailyQuota: 1 }])).status).toBe(200);
    const to = (n: number) => ({ to: `+97250000000${n}`, message: `hello ${n}` });
    const first = await call('/api/sms/send', { key: u.apiKey, body: to(1) });
    const second = await call('/api/sms/send', { key: u.apiKey, body: to(2) });
    expect(new Set([first.json.deviceId, second.json.deviceId])).toEqual(new Set([a.deviceId, b.deviceId]));
    expect([first.json.sim, second.json.sim]).toEqual([1, 1]);
    const third = await call('/api/sms/send', { key: u.apiKey, body: to(3) });
    expect(third.status).toBe(429);
    expect(third.json.code).toBe('QUOTA_EXCEEDED');
    // a device that reports a second SIM gets the next one there
    await sims(a.secret, [
      { slot: 1, carrier: 'Partner' },
      { slot: 2, carrier: 'Cellcom', dailyQuota: 5 },
    ]);
    const fourth = await call('/api/sms/send', { key: u.apiKey, body: to(4) });
    expect(fourth.json).toMatchObject({ deviceId: a.deviceId, sim: 2 });
    expect(fourth.json.deviceId).not.toBe(asleep.deviceId);
    // long GSM text: 161 characters are two parts of 153
    const long = await call('/api/sms/send', { key: u.apiKey, body: { to: '+972500000005', message: 'x'.repeat(161), deviceId: a.deviceId, sim: 2 } });
    expect(long.json.segments).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161, unitsPerSegment: 153 });
    // bulk: each item on its own
    const bulk = await call('/api/sms/send-bulk', {
      key: u.apiKey,
      body: {
        messages: [
          { ...to(6), deviceId: a.deviceId, sim: 2 },
          { ...to(7), deviceId: 'dev_0000000000000000' },
        ],
      },
    });
    expect(bulk.status).toBe(202);
    expect(bulk.json.results.map((r: any) => (r.ok ? r.sms.status : r.code))).toEqual(['queued', 'DEVICE_NOT_FOUND']);
    const badNumber = await call('/api/sms/send', { key: u.apiKey, body: { to: 'nope', message: 'x' } });
    expect(badNumber.json.error).toBe('to: a phone number (digits, optional leading +)'); // the field named once
    for (const body of [
      { to: 'nope', message: 'x' },
      { to: '+972500000001', message: '' },
      { to: '+972500000001', message: 'x', sim: 0 },
    ]) {
      const bad = await call('/api/sms/send', { key: u.apiKey, body });
      expect(bad.status).toBe(400);
      expect(bad.json.success).toBe(false);
    }
    // the device list shows each device's health, queue and SIMs with today's count; the send list, newest first
    const listed = (await call('/api/devices', { key: u.apiKey })).json.devices.find((x: any) => x.deviceId === a.deviceId);
    expect(listed).toMatchObject({ healthy: true, queued: 4 });
    expect(listed.sims).toEqual([
      { slot: 1, carrier: 'Partner', number: null, dailyQuota: 1, sentToday: 1 },
      { slot: 2, carrier: 'Cellcom', number: null, dailyQuota: 5, sentToday: 3 },
    ]);
    const page = await call('/api/sms?limit=2', { key: u.apiKey });
    expect(page.json.messages.map((m: any) => m.to)).toEqual(['+972500000006', '+972500000005']);
    expect(page.headers.get('x-next-cursor')).toBeTruthy();
    const nobody = await newUser();
    expect((await call('/api/sms/send', { key: nobody.apiKey, body: to(1) })).json.code).toBe('NO_DEVICE');
  });

  it("a send scheduled for a later day does not use today's quota", async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    await sims(d.secret, [{ slot: 1, dailyQuota: 1 }]);
    const body = (extra: Record<string, unknown> = {}) => ({ to: '+972500000020', message: 'hi', deviceId: d.deviceId, sim: 1, ...extra });
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString();
    expect((await call('/api/sms/send', { key: u.apiKey, body: body({ scheduleTime: tomorrow }) })).status).toBe(202);
    expect((await call('/api/sms/send', { key: u.apiKey, body: body() })).status).toBe(202);
    const over = await call('/api/sms/send', { key: u.apiKey, body: body() });
    expect([over.status, over.json.code]).toEqual([429, 'QUOTA_EXCEEDED']);
  });

  it("a silent device's routed work moves to a healthy one, which sends it once; the silent one's late report is refused", async () => {
    const u = await newUser();
    const a = await newDevice(u.apiKey, 'https://hooks.example.com/a');
    await poll(a.secret); // seen
    const sent = await call('/api/sms/send', { key: u.apiKey, body: { to: '+972500000010', message: 'moved' } });
    expect(sent.json.deviceId).toBe(a.deviceId);
    const claimed = (await poll(a.secret)).json.messages[0];
    expect(claimed.message).toBe('moved');
    // a goes silent: its claim lapses and it is not seen for over two minutes
    await env.DB.prepare('UPDATE devices SET last_seen_at = ? WHERE device_id = ?')
      .bind(Date.now() - 300_000, a.deviceId)
      .run();
    await env.DB.prepare('UPDATE device_outbox SET lease_until = ? WHERE id = ?')
      .bind(Date.now() - 1000, claimed.id)
      .run();
    const b = await newDevice(u.apiKey, 'https://hooks.example.com/b');
    const taken = (await poll(b.secret)).json.messages;
    expect(taken.map((m: any) => [m.id, m.message])).toEqual([[claimed.id, 'moved']]);
    expect((await call(`/api/sms/${sent.json.id}`, { key: u.apiKey })).json.deviceId).toBe(b.deviceId);
    const late = await report(a.secret, claimed.id, { status: 'sent' });
    expect(late.status).toBe(409);
    expect(late.json.code).toBe('WORK_MOVED');
    expect((await report(b.secret, claimed.id, { status: 'sent' })).json.changed).toBe(true);
    expect((await events(b.deviceId, 'sms_status')).map((e) => e.status)).toEqual(['sent']);
    expect(await events(a.deviceId, 'sms_status')).toEqual([]);
  });

  it('USSD on demand: the answer carries the request id; an unanswered request fails at its deadline', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey, 'https://hooks.example.com/ussd');
    await sims(d.secret, [{ slot: 1, carrier: 'Partner', dailyQuota: 0 }]); // no SMS today: USSD is not an SMS
    const asked = await call('/api/ussd', { key: u.apiKey, body: { deviceId: d.deviceId, sim: 1, code: '*143#' } });
    expect(asked.status).toBe(202);
    expect(asked.json).toMatchObject({ status: 'queued', code: '*143#', response: null });
    const work = (await poll(d.secret)).json.messages[0];
    expect(work).toMatchObject({ type: 'ussd', to: '*143#', sim: 1 });
    expect((await call(`/api/ussd/${asked.json.id}`, { key: u.apiKey })).json.status).toBe('running');
    await report(d.secret, work.id, { status: 'sent', response: 'Balance: 12.50 ILS' });
    expect((await call(`/api/ussd/${asked.json.id}`, { key: u.apiKey })).json).toMatchObject({ status: 'answered', response: 'Balance: 12.50 ILS' });
    expect(await events(d.deviceId, 'ussd_response')).toEqual([
      expect.objectContaining({ requestId: asked.json.id, code: '*143#', response: 'Balance: 12.50 ILS' }),
    ]);

    const unanswered = await call('/api/ussd', { key: u.apiKey, body: { deviceId: d.deviceId, code: '*100#' } });
    await env.DB.prepare('UPDATE device_outbox SET deadline = ? WHERE public_id = ?')
      .bind(Date.now() - 1, unanswered.json.id)
      .run();
    expect((await poll(d.secret)).json.messages).toEqual([]); // past its deadline: never offered
    expect((await call(`/api/ussd/${unanswered.json.id}`, { key: u.apiKey })).json).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/no answer/),
    });
    // the webhook says so too, under the request's id
    expect((await events(d.deviceId, 'ussd_response')).map((e) => [e.requestId, e.status])).toEqual([
      [asked.json.id, 'answered'],
      [unanswered.json.id, 'failed'],
    ]);
    expect((await call('/api/ussd', { key: u.apiKey, body: { deviceId: d.deviceId, code: 'rm -rf' } })).status).toBe(400);
  });
});
