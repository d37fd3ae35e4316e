// WhatsApp → SMS fallback end to end over `npm start` (sandbox transport, a real bridge process) and a
// simulated phone: a message to a sandbox contact whose phone is off (sent, never delivered) goes out as
// an SMS after `afterSeconds`, and the events say which channel delivered what; a message the contact's
// phone acknowledges in time sends no SMS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DeviceSimulator, startDeviceSimulator } from '../../scripts/device-simulator.ts';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { systemApi } from '../support/system-api.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-sms-fallback-'));
let system: RunningSystem | undefined;
const { api, until } = systemApi(() => system, { everyMs: 200 });
let receiver: Receiver | undefined;
let phone: DeviceSimulator | undefined;

afterAll(async () => {
  await phone?.stop();
  await system?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('WhatsApp → SMS fallback', () => {
  it('an undelivered WhatsApp message goes out as an SMS through a device; a delivered one does not', async () => {
    receiver = await startReceiver();
    system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true' } });
    expect((await api('/api/add-number', { clientId: 'shop', phoneNumber: '972503000000' })).status).toBe(200);
    expect((await api('/api/sandbox/shop/scan', {})).json.status).toBe('connected');
    const device = await api('/api/devices', { name: 'Office phone', webhookUrl: `${receiver.url}/hook/phone` });
    receiver.box('phone').fallback = { status: 200, body: {} };
    phone = startDeviceSimulator({ url: system.url, secret: device.json.secret, sims: [{ slot: 1, carrier: 'Partner' }] });
    await phone.ready;

    const fallback = { channel: 'sms', afterSeconds: 5 };
    // 15550000404: the sandbox's phone that is off (sent, never delivered); 15550000001 acknowledges at once
    const off = await api('/api/send-message', { clientId: 'shop', number: '15550000404', message: 'Your order is ready', fallback });
    const on = await api('/api/send-message', { clientId: 'shop', number: '15550000001', message: 'Your order shipped', fallback });
    expect([off.status, on.status]).toEqual([200, 200]);

    const outcome = async (id: string) => (await api(`/api/messages/${id}`)).json.fallback;
    const sms = await until('the SMS fallback', async () => {
      const f = await outcome(off.json.messageId);
      return f?.outcome === 'sms' ? f : undefined;
    });
    expect((await api(`/api/messages/${off.json.messageId}`)).json.status).toBe('sent'); // on WhatsApp: one tick, never delivered
    await until('the SMS delivered', async () => (await api(`/api/sms/${sms.smsId}`)).json.status === 'delivered');
    expect((await api(`/api/sms/${sms.smsId}`)).json).toMatchObject({ to: '+15550000404', message: 'Your order is ready', fallbackOf: off.json.messageId });
    expect(phone.sent.map((m) => m.message)).toEqual(['Your order is ready']);
    // the delivered one: WhatsApp did it, no SMS
    await until('the other decided', async () => (await outcome(on.json.messageId))?.outcome === 'whatsapp');
    expect((await api(`/api/messages/${on.json.messageId}`)).json.status).toMatch(/delivered|read/);
    // the device's webhook says the SMS stood in for the WhatsApp message
    await until('sms_status delivered', async () =>
      receiver!
        .box('phone')
        .received.map((r) => JSON.parse(r.body))
        .some((e) => e.event === 'sms_status' && e.data.status === 'delivered' && e.data.fallbackOf === off.json.messageId),
    );
  }, 90_000);
});
