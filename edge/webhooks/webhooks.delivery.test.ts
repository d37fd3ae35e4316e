// Webhook delivery end to end inside workerd: real D1 delivery rows, real WebhookSender Durable Object alarms,
// a real local HTTP receiver, signatures checked with the standardwebhooks library.
import { createScheduledController, createExecutionContext, env, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import worker from '../index.ts';
import { newBox, received, script, waitForRequests } from '../test/receiver.ts';
import { call, newDevice, newUser, postAndroid, smsPayload } from '../test/helpers.ts';
import { MAX_ATTEMPTS } from './retry-policy.ts';

type Row = { id: string; endpoint: string; status: string; attempts: number; next_attempt_at: number; last_error: string | null; last_status: number | null };

async function rowsFor(deviceId: string): Promise<Row[]> {
  const res = await env.DB.prepare(
    `SELECT w.* FROM webhook_deliveries w JOIN devices d ON w.endpoint = 'device:' || d.id WHERE d.device_id = ? ORDER BY w.created_at`,
  )
    .bind(deviceId)
    .all<Row>();
  return res.results;
}

async function waitForRow(deviceId: string, pred: (r: Row[]) => boolean, timeoutMs = 10_000): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await rowsFor(deviceId);
    if (pred(rows) || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Time travel: make the delivery due now and run its sender's alarm. */
async function runDue(row: Row): Promise<void> {
  await env.DB.prepare('UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?').bind(Date.now(), row.id).run();
  const stub = env.WEBHOOK_SENDER.getByName(row.endpoint);
  if (!(await runDurableObjectAlarm(stub))) await stub.wake(row.endpoint);
}

describe('webhook delivery', () => {
  it('signs with Standard Webhooks and sends X-Api-Key and the {event, data} body', async () => {
    const u = await newUser();
    const box = newBox();
    const d = await newDevice(u.apiKey, box.url);
    const payload = smsPayload('signed');
    await postAndroid(d.secret, payload);
    const [req] = await waitForRequests(box.name, 1);
    expect(req).toBeDefined();
    const body = JSON.parse(req!.body);
    expect(body).toEqual({
      event: 'sms_received',
      data: expect.objectContaining({ from: '+639760713666', to: d.deviceId, message: 'signed', body: 'signed', sim: 1, type: 'sms_received' }),
    });
    expect(req!.headers['x-api-key']).toBe(d.secret);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    const verified = new Webhook(d.webhookSecret!).verify(req!.body, req!.headers);
    expect(verified).toEqual(body);
    expect(() => new Webhook(d.webhookSecret!).verify(req!.body.replace('signed', 'forged'), req!.headers)).toThrow();
    const rows = await waitForRow(d.deviceId, (r) => r[0]?.status === 'delivered');
    expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200 });
  });

  it('a receiver that fails twice then accepts gets exactly one successful delivery, one webhook-id', async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [{ status: 500 }, { status: 503 }]);
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, smsPayload('retry me'));
    let rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === 1 && r[0].last_status === 500);
    expect(rows[0]).toMatchObject({ status: 'pending', last_error: 'HTTP 500' });
    const wait = rows[0]!.next_attempt_at - Date.now();
    expect(wait).toBeGreaterThan(4_000);
    expect(wait).toBeLessThanOrEqual(5_500);
    await runDue(rows[0]!);
    rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === 2);
    expect(rows[0]).toMatchObject({ status: 'pending', last_status: 503 });
    expect(rows[0]!.next_attempt_at - Date.now()).toBeGreaterThan(250_000);
    await runDue(rows[0]!);
    rows = await waitForRow(d.deviceId, (r) => r[0]?.status === 'delivered');
    expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 3, last_status: 200, last_error: null });
    await runDurableObjectAlarm(env.WEBHOOK_SENDER.getByName(rows[0]!.endpoint));
    const got = await received(box.name);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([rows[0]!.id]));
    for (const r of got) expect(new Webhook(d.webhookSecret!).verify(r.body, r.headers)).toBeTruthy();
    const log = await call('/api/webhook-deliveries', { key: u.apiKey });
    expect(log.json.deliveries[0]).toMatchObject({ id: rows[0]!.id, status: 'delivered', attempts: 3, endpoint: { kind: 'device', id: d.deviceId } });
  });

  it('honours Retry-After and does not follow redirects', async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [
      { status: 429, headers: { 'retry-after': '3600' } },
      { status: 302, headers: { location: `${box.url}-elsewhere` } },
    ]);
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, smsPayload('slow down'));
    let rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === 1);
    expect(rows[0]!.next_attempt_at - Date.now()).toBeGreaterThan(3_500_000);
    await runDue(rows[0]!);
    rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === 2);
    expect(rows[0]).toMatchObject({ status: 'pending', last_status: 302, last_error: 'HTTP 302 redirect (not followed)' });
    expect(await received(`${box.name}-elsewhere`)).toEqual([]);
  });

  it('gives up after the last attempt (dead letter) and replays with the same webhook-id', async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [], { status: 500 });
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, smsPayload('doomed'));
    let rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === 1);
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      await runDue(rows[0]!);
      rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === attempt && r[0].next_attempt_at > Date.now());
    }
    rows = await waitForRow(d.deviceId, (r) => r[0]?.status === 'dead');
    expect(rows[0]).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS, last_status: 500 });
    expect(rows[0]!.last_error).toContain(`gave up after ${MAX_ATTEMPTS} attempts`);
    expect(await received(box.name)).toHaveLength(MAX_ATTEMPTS);
    const dead = await call('/api/webhook-deliveries?status=dead', { key: u.apiKey });
    expect(dead.json.deliveries.map((x: any) => x.id)).toEqual([rows[0]!.id]);

    await script(box.name, [], { status: 204 });
    const replay = await call(`/api/webhook-deliveries/${rows[0]!.id}/replay`, { method: 'POST', key: u.apiKey });
    expect(replay.status).toBe(200);
    expect(replay.json.delivery).toMatchObject({ status: 'pending', attempts: 0 });
    rows = await waitForRow(d.deviceId, (r) => r[0]?.status === 'delivered');
    expect(rows[0]).toMatchObject({ status: 'delivered', attempts: 1, last_status: 204 });
    const all = await received(box.name);
    expect(all).toHaveLength(MAX_ATTEMPTS + 1);
    expect(all.at(-1)!.headers['webhook-id']).toBe(rows[0]!.id);
    expect((await call(`/api/webhook-deliveries/${rows[0]!.id}/replay`, { method: 'POST', key: (await newUser()).apiKey })).status).toBe(404);
  });

  it('410 Gone disables the endpoint; later events wait (paused) until the URL is saved again', async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [{ status: 410 }]);
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, smsPayload('first'));
    let rows = await waitForRow(d.deviceId, (r) => r[0]?.status === 'dead');
    expect(rows[0]).toMatchObject({ status: 'dead', last_status: 410 });
    expect((await call('/api/devices', { key: u.apiKey })).json.devices[0].webhookDisabled).toBe(true);
    await postAndroid(d.secret, smsPayload('second'));
    rows = await waitForRow(d.deviceId, (r) => r.length === 2);
    expect(rows[1]).toMatchObject({ status: 'paused', attempts: 0 });
    expect(await received(box.name)).toHaveLength(1);

    const saved = await call(`/api/devices/${d.deviceId}/webhook`, { key: u.apiKey, body: { webhookUrl: box.url } });
    expect(saved.json.webhookSecret).toBe(d.webhookSecret);
    rows = await waitForRow(d.deviceId, (r) => r[1]?.status === 'delivered');
    expect(rows[1]!.status).toBe('delivered');
    const got = await received(box.name);
    expect(JSON.parse(got.at(-1)!.body).data.message).toBe('second');
  });

  it('times out a receiver slower than 5 s', async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [{ status: 200, delayMs: 6_500 }]);
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, smsPayload('slow'));
    const rows = await waitForRow(d.deviceId, (r) => r[0]?.attempts === 1 && r[0].last_error !== null, 15_000);
    expect(rows[0]).toMatchObject({ status: 'pending', last_error: 'timed out after 5000 ms' });
  });

  it('the cron sweep delivers what no wake-up woke', async () => {
    const u = await newUser();
    const box = newBox();
    const d = await newDevice(u.apiKey, box.url);
    const id = `msg_${'a'.repeat(24)}${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}`;
    const device = await env.DB.prepare('SELECT id, user_id FROM devices WHERE device_id = ?').bind(d.deviceId).first<{ id: number; user_id: number }>();
    const body = JSON.stringify({ event: 'ussd_response', data: { code: '*1#', response: 'ok' } });
    await env.DB.prepare(`INSERT INTO webhook_deliveries (id, user_id, endpoint, event, payload, next_attempt_at) VALUES (?, ?, ?, 'ussd_response', ?, ?)`)
      .bind(id, device!.user_id, `device:${device!.id}`, body, Date.now() - 120_000)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    const [req] = await waitForRequests(box.name, 1);
    expect(req?.headers['webhook-id']).toBe(id);
    expect(req?.body).toBe(body);
  });
});

describe('replies', () => {
  it("an SMS autoreply: the webhook's response goes to the device outbox, the device reports it sent, message_sent follows", async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [{ status: 200, body: { status: 'success', response: 'Thanks, we got it!' } }]);
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, smsPayload('hi there', '+15551234567'));
    await waitForRequests(box.name, 1);
    let outbox: any;
    for (let i = 0; i < 100; i++) {
      outbox = await call('/gateway/android/outbox', { headers: { 'x-device-secret': d.secret } });
      if (outbox.json.messages.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(outbox.json.messages).toEqual([
      {
        id: expect.any(Number),
        type: 'message',
        channel: 'sms',
        to: '+15551234567',
        sim: 1,
        message: 'Thanks, we got it!',
        leaseUntil: expect.any(Number),
        leaseMs: expect.any(Number),
      },
    ]);
    // leased: not offered twice while the device works on it
    expect((await call('/gateway/android/outbox', { headers: { 'x-device-secret': d.secret } })).json.messages).toEqual([]);
    const id = outbox.json.messages[0].id;
    const report = await call(`/gateway/android/outbox/${id}`, { body: { status: 'sent' }, headers: { 'x-device-secret': d.secret } });
    expect(report.json).toEqual({ success: true, id, status: 'sent', changed: true });
    const again = await call(`/gateway/android/outbox/${id}`, { body: { status: 'sent' }, headers: { 'x-device-secret': d.secret } });
    expect(again.json.changed).toBe(false);
    const got = await waitForRequests(box.name, 2);
    const sent = JSON.parse(got[1]!.body);
    expect(sent).toEqual({
      event: 'message_sent',
      data: expect.objectContaining({
        from: d.deviceId,
        to: '+15551234567',
        body: 'Thanks, we got it!',
        message: 'Thanks, we got it!',
        type: 'sent_message',
        channel: 'sms',
      }),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await received(box.name)).toHaveLength(2);
    const other = await newDevice(u.apiKey);
    expect((await call(`/gateway/android/outbox/${id}`, { body: { status: 'sent' }, headers: { 'x-device-secret': other.secret } })).status).toBe(404);
  });

  it('no response, or a non-message event, queues nothing', async () => {
    const u = await newUser();
    const box = newBox();
    await script(box.name, [], { status: 200, body: { status: 'success', response: 'ignored for ussd' } });
    const d = await newDevice(u.apiKey, box.url);
    await postAndroid(d.secret, { type: 'ussd', data: { id: 5, code: '*1#', response: 'x' } });
    await waitForRequests(box.name, 1);
    await new Promise((r) => setTimeout(r, 200));
    expect((await call('/gateway/android/outbox', { headers: { 'x-device-secret': d.secret } })).json.messages).toEqual([]);
  });
});
