import { describe, expect, it } from 'vitest';
import smsForm from '../../../test/fixtures/android/sms.form.txt?raw';
import { addClient, call, newDevice, newUser, postAndroid, smsPayload } from '../../test/helpers.ts';

describe('devices', () => {
  it('registers, lists, rotates the secret and removes a device', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    expect(d.deviceId).toMatch(/^dev_[0-9a-f]{16}$/);
    expect(d.secret).toBe(`sbd_${d.deviceId.slice(4)}_${d.secret.slice(-40)}`);
    expect(d.secret).toMatch(/^sbd_[0-9a-f]{16}_[0-9a-f]{40}$/);
    const list = await call('/api/devices', { key: u.apiKey });
    expect(list.json.devices).toEqual([
      expect.objectContaining({ deviceId: d.deviceId, name: 'Pixel test', webhookUrl: null, webhookDisabled: false, lastSeenAt: null }),
    ]);
    expect(JSON.stringify(list.json)).not.toContain(d.secret);

    const rotated = await call(`/api/devices/${d.deviceId}/rotate-secret`, { method: 'POST', key: u.apiKey });
    expect(rotated.status).toBe(200);
    expect((await postAndroid(d.secret, smsPayload())).status).toBe(401);
    expect((await postAndroid(rotated.json.secret, smsPayload())).status).toBe(200);
    expect((await call('/api/devices', { key: u.apiKey })).json.devices[0].lastSeenAt).not.toBeNull();

    expect((await call(`/api/devices/${d.deviceId}`, { method: 'DELETE', key: u.apiKey })).status).toBe(200);
    expect((await postAndroid(rotated.json.secret, smsPayload())).status).toBe(401);
    expect((await call('/api/devices', { key: u.apiKey })).json.devices).toEqual([]);
  });

  it("another user's device is a 404, client keys are refused, bad input is a 400", async () => {
    const owner = await newUser();
    const other = await newUser();
    const d = await newDevice(owner.apiKey);
    for (const [method, path] of [
      ['DELETE', `/api/devices/${d.deviceId}`],
      ['POST', `/api/devices/${d.deviceId}/rotate-secret`],
      ['GET', `/api/devices/${d.deviceId}/events`],
    ] as const) {
      const res = await call(path, { method, key: other.apiKey });
      expect(res.status, path).toBe(404);
      expect(res.json.code).toBe('DEVICE_NOT_FOUND');
    }
    const hook = await call(`/api/devices/${d.deviceId}/webhook`, { key: other.apiKey, body: { webhookUrl: 'https://x.example.com/' } });
    expect(hook.status).toBe(404);
    const { clientKey } = await addClient(owner.apiKey);
    expect((await call('/api/devices', { key: clientKey })).status).toBe(403);
    expect((await call('/api/devices', { key: owner.apiKey, body: { name: '' } })).status).toBe(400);
    expect((await call('/api/devices', { key: owner.apiKey, body: { name: 'x', webhookUrl: 'http://192.168.0.2/' } })).json.code).toBe('INVALID_WEBHOOK_URL');
    expect((await call('/api/devices/not-a-device', { method: 'DELETE', key: owner.apiKey })).status).toBe(400);
  });
});

describe('POST /gateway/android', () => {
  it("accepts the spec's payloads, JSON or form, with the secret in the header or the body", async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const json = await postAndroid(d.secret, smsPayload('from json'));
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ success: true, event: 'sms_received', duplicate: false });
    const form = await call('/gateway/android', {
      body: smsForm.replace('WEBHOOK_SECRET', d.secret),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(200);
    expect(form.json.event).toBe('sms_received');
    const inBody = await call('/gateway/android', { body: { ...smsPayload('secret in body'), secret: d.secret } });
    expect(inBody.status).toBe(200);
    const events = await call(`/api/devices/${d.deviceId}/events`, { key: u.apiKey });
    expect(events.json.events.map((e: any) => e.data.message)).toEqual(['secret in body', 'Hello World!', 'from json']);
    expect(events.json.events[1].data).toMatchObject({ from: '+639760713666', sim: 1, deviceId: d.deviceId, timestamp: 1645684231000 });
  });

  it('drops a repeat of the same payload id', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const payload = smsPayload('once');
    expect((await postAndroid(d.secret, payload)).json.duplicate).toBe(false);
    const again = await postAndroid(d.secret, payload);
    expect(again.status).toBe(200);
    expect(again.json.duplicate).toBe(true);
    expect((await call(`/api/devices/${d.deviceId}/events`, { key: u.apiKey })).json.events).toHaveLength(1);
  });

  it('answers a wrong or missing secret with 401 and a malformed payload with 400, storing nothing', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    expect((await postAndroid('sbd_0000000000000000000000000000000000000000', smsPayload())).status).toBe(401);
    // right device id, wrong secret: refused, and nothing stored
    const forged = `sbd_${d.deviceId.slice(4)}_${'0'.repeat(40)}`;
    expect((await postAndroid(forged, smsPayload())).status).toBe(401);
    expect((await call('/gateway/android', { body: { type: 'sms', data: {} }, headers: { 'x-device-secret': forged } })).status).toBe(401);
    expect((await call('/gateway/android', { body: smsPayload() })).status).toBe(401);
    for (const body of [{ type: 'sms', data: { message: 'no phone' } }, { type: 'fax', data: {} }, { type: 'sms' }, '{"type":', 'garbage']) {
      const res = await call('/gateway/android', { body, headers: { 'x-device-secret': d.secret } });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.success).toBe(false);
    }
    expect((await call(`/api/devices/${d.deviceId}/events`, { key: u.apiKey })).json.events).toEqual([]);
  });

  it('lists the newest 100 events, filtered by type', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    await postAndroid(d.secret, { type: 'ussd', data: { id: 1, sim: 1, code: '*143#', response: 'Balance: 5' } });
    await postAndroid(d.secret, { type: 'notification', data: { id: 2, package: 'com.example', title: 'Hi', content: 'There' } });
    await postAndroid(d.secret, { type: 'whatsapp', data: { id: 3, wid: '+1', phone: '+15550001', message: 'wa' } });
    for (let i = 0; i < 101; i++) await postAndroid(d.secret, smsPayload(`m${i}`));
    const all = await call(`/api/devices/${d.deviceId}/events`, { key: u.apiKey });
    expect(all.json.events).toHaveLength(100);
    expect(all.json.events[0].data.message).toBe('m100');
    const ussd = await call(`/api/devices/${d.deviceId}/events?type=ussd_response`, { key: u.apiKey });
    expect(ussd.json.events).toEqual([
      expect.objectContaining({ event: 'ussd_response', data: expect.objectContaining({ code: '*143#', response: 'Balance: 5' }) }),
    ]);
    const wa = await call(`/api/devices/${d.deviceId}/events?type=message_received`, { key: u.apiKey });
    expect(wa.json.events[0].data).toMatchObject({ channel: 'whatsapp', from: '+15550001' });
    expect((await call(`/api/devices/${d.deviceId}/events?type=bogus`, { key: u.apiKey })).status).toBe(400);
  });
});
