// The sandbox network holds messages for an offline number, as WhatsApp's servers do: the real Worker, the
// real bridge process and a local webhook receiver. Messages sent while the bridge is down answer 202
// queued; once it is back (and while a new message races the hand-over) each arrives once, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { systemApi } from '../support/system-api.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-offline-'));
let system: RunningSystem;
const { api, until } = systemApi(() => system);
let receiver: Receiver;
const box = () => receiver.box('offline');

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true' } });
});

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const received = () =>
  box()
    .received.map((r) => JSON.parse(r.body))
    .filter((e) => e.event === 'message_received')
    .map((e) => e.data);

describe('the sandbox offline queue, end to end', () => {
  it('holds messages while the number is offline and delivers each once, in order, when it is back', async () => {
    box().fallback = { status: 200, body: { status: 'success' } };
    expect((await api('/api/add-number', { clientId: 'away', phoneNumber: '12345678902' })).status).toBe(200);
    await api('/api/update-webhook', { clientId: 'away', webhookUrl: `${receiver.url}/hook/offline` });
    expect((await api('/api/sandbox/away/scan', {})).json.status).toBe('connected');
    const online = await api('/api/sandbox/away/inbound', { from: '15550000001', message: 'before' });
    expect(online.status).toBe(200);
    await until('the first message_received', () => received().length === 1);

    await system.bridge.kill();
    await until('bridge disconnected', async () => (await api('/health')).json.bridge === 'disconnected');
    const held = [];
    for (const message of ['one — אחת', 'two', 'three']) {
      const res = await api('/api/sandbox/away/inbound', { from: '+15550000001', message });
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ messageId: expect.stringMatching(/^SBIN[0-9A-F]{16}$/), timestamp: expect.any(Number), queued: true });
      held.push({ ...res.json, message });
    }

    // back: its session reports connected and the held messages go; a new message racing that goes behind them
    await system.bridge.start();
    const raced = await api('/api/sandbox/away/inbound', { from: '15550000001', message: 'four' });
    expect([200, 202]).toContain(raced.status);
    const expected = [...held.map((h) => [h.messageId, h.message, h.timestamp]), [raced.json.messageId, 'four', raced.json.timestamp]];

    await until('all held messages received', () => received().length >= 5);
    await new Promise((r) => setTimeout(r, 1500)); // anything delivered twice would show by now
    const after = received().slice(1);
    expect(after).toHaveLength(4);
    // webhooks go out concurrently: their order is the send time each carries
    expect(after.sort((a, b) => a.timestamp - b.timestamp).map((d) => [d.messageId, d.body, d.timestamp])).toEqual(expected);
    // the edge recorded them in the order they were sent
    const list = (await api('/api/received-messages/away?limit=10')).json.messages as any[];
    expect(list.map((m) => m.message).reverse()).toEqual(['before', 'one — אחת', 'two', 'three', 'four']);
  });
});
