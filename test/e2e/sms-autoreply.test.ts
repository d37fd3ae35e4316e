// The spec's "autoreply bot for SMS", end to end: a device posts an SMS to the real Worker under
// the serving runtime, the user's webhook answers a response, the device fetches and sends it, and reports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-autoreply-'));
let system: RunningSystem;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true' } });
});

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('SMS in, signed webhook out, its response back out as SMS through the device, message_sent after', async () => {
  const box = receiver.box('bot');
  box.script = [{ status: 200, body: { status: 'success', response: 'Auto: got "ping"' } }];
  const res = await fetch(`${system.url}/api/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': system.admin.apiKey! },
    body: JSON.stringify({ name: 'Pixel', webhookUrl: `${receiver.url}/hook/bot` }),
  });
  const device = (await res.json()) as { deviceId: string; secret: string; webhookSecret: string };
  expect(res.status).toBe(201);

  // the phone posts the way PHP-era gateways do: a form body with the secret in it
  const form = new URLSearchParams({
    type: 'sms',
    'data[id]': '7',
    'data[sim]': '2',
    'data[phone]': '+15550007777',
    'data[message]': 'ping',
    'data[timestamp]': '1645684231',
    secret: device.secret,
  });
  const posted = await fetch(`${system.url}/gateway/android`, { method: 'POST', body: form });
  expect(posted.status).toBe(200);

  const first = await until(async () => box.received[0]);
  expect(new Webhook(device.webhookSecret).verify(first.body, first.headers)).toMatchObject({
    event: 'sms_received',
    data: { from: '+15550007777', message: 'ping', sim: 2 },
  });

  const outbox = await until(async () => {
    const r = await fetch(`${system.url}/gateway/android/outbox`, { headers: { 'x-device-secret': device.secret } });
    const { messages } = (await r.json()) as { messages: { id: number; to: string; message: string; sim: number; channel: string }[] };
    return messages.length ? messages : undefined;
  });
  expect(outbox).toEqual([
    {
      id: expect.any(Number),
      type: 'message',
      channel: 'sms',
      to: '+15550007777',
      sim: 2,
      message: 'Auto: got "ping"',
      leaseUntil: expect.any(Number),
      leaseMs: expect.any(Number),
    },
  ]);

  const report = await fetch(`${system.url}/gateway/android/outbox/${outbox[0]!.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-device-secret': device.secret },
    body: JSON.stringify({ status: 'sent' }),
  });
  expect(report.status).toBe(200);
  const second = await until(async () => box.received[1]);
  expect(JSON.parse(second.body)).toMatchObject({ event: 'message_sent', data: { to: '+15550007777', message: 'Auto: got "ping"', channel: 'sms' } });
  expect(second.headers['webhook-id']).not.toBe(first.headers['webhook-id']);
});
