// SMS and USSD through Android devices, end to end: the real Worker under the serving runtime, simulated
// phones (scripts/device-simulator.ts) speaking the device protocol over HTTP, and a local webhook
// receiver. Routed sends spread over healthy devices and are each sent once; SIM quotas hold; a silent
// device's queued work moves to another with no duplicate; a USSD answer finds its request.
// Silence is 120 s of real time; rather than wait, the test moves that device's clock marks back (its
// last_seen_at and its claims' leases, the only times routing reads) in the D1 file the runtime keeps
// under the state dir — what two minutes of silence would leave there.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceSimulator, type SimulatorOptions, type Sim, startDeviceSimulator } from '../../scripts/device-simulator.ts';
import { persistPathOf } from '../../scripts/runtime/serve.ts';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { systemApi } from '../support/system-api.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-sms-devices-'));
let system: RunningSystem;
const { api, until } = systemApi(() => system);
let receiver: Receiver;
// every test registers its own phones; they are stopped and removed after it, so the next test routes only to its own
let phones: Phone[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  // the test's own traffic is not the point
  const RATE_LIMITS = JSON.stringify({
    api: { limit: 100_000, windowSec: 900 },
    delete: { limit: 1000, windowSec: 900 },
    device: { limit: 10_000, windowSec: 60 },
  });
  system = await startSystem({ port: await freePort(), stateDir, bridge: false, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true', RATE_LIMITS } });
});

afterAll(async () => {
  await Promise.all(phones.map((p) => p.sim.stop()));
  await system?.stop();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

interface Phone {
  deviceId: string;
  secret: string;
  sim: DeviceSimulator;
  /** the device's webhook events, signatures checked */
  events(type: string): any[];
}

afterEach(async () => {
  await Promise.all(phones.map((p) => p.sim.stop()));
  for (const p of phones) expect((await api(`/api/devices/${p.deviceId}`, undefined, { method: 'DELETE' })).status).toBe(200);
  phones = [];
});

/** Registers a device with its webhook on the receiver and starts a simulated phone for it (its SIMs reported). */
async function phone(name: string, sims?: Sim[], opts: Partial<SimulatorOptions> = {}): Promise<Phone> {
  const created = await api('/api/devices', { name, webhookUrl: `${receiver.url}/hook/${name}` });
  expect(created.status).toBe(201);
  const { deviceId, secret, webhookSecret } = created.json as { deviceId: string; secret: string; webhookSecret: string };
  const sim = startDeviceSimulator({ url: system.url, secret, sims, ...opts });
  const box = receiver.box(name);
  const p: Phone = {
    deviceId,
    secret,
    sim,
    events: (type) => box.received.map((r) => new Webhook(webhookSecret).verify(r.body, r.headers) as any).filter((e) => e.event === type),
  };
  phones.push(p);
  await sim.ready;
  return p;
}

const sendSms = (to: string, message: string) => api('/api/sms/send', { to, message });
const statusOf = async (id: string) => (await api(`/api/sms/${id}`)).json as { status: string; deviceId: string };

/** The sms_status webhooks of one send, in the order they came. */
const statusesOf = (p: Phone, id: string) =>
  p
    .events('sms_status')
    .filter((e) => e.data.id === id)
    .map((e) => e.data.status);

/** Moves a device's clock marks back by `ms`: as if it had been silent that much longer (see the header). */
function backdate(deviceId: string, ms: number) {
  const dir = join(persistPathOf(stateDir), 'd1', 'miniflare-D1DatabaseObject');
  const file = readdirSync(dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  const db = new DatabaseSync(join(dir, file!));
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const ref = db.prepare('SELECT id FROM devices WHERE device_id = ?').get(deviceId) as { id: number };
    db.prepare('UPDATE devices SET last_seen_at = last_seen_at - ? WHERE id = ?').run(ms, ref.id);
    db.prepare('UPDATE device_outbox SET lease_until = lease_until - ? WHERE device_ref = ? AND lease_until IS NOT NULL').run(ms, ref.id);
  } finally {
    db.close();
  }
}

describe('SMS and USSD through Android devices', () => {
  it('routed sends spread over the healthy devices, each sent once, delivered, with sms_status webhooks', async () => {
    const a = await phone('route-a');
    const b = await phone('route-b');
    const sends: { id: string; deviceId: string; to: string; message: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const to = `+1555010000${i}`;
      const message = `routed ${i} — שלום`;
      const res = await sendSms(to, message);
      expect(res.status).toBe(202);
      expect(res.json).toMatchObject({ id: expect.stringMatching(/^sms_[0-9a-f]{16}$/), to, message, segments: { segments: 1, encoding: 'UCS-2' } });
      sends.push({ id: res.json.id, deviceId: res.json.deviceId, to, message });
    }
    // fewest queued first: while one phone is busy sending, the next send goes to the other
    const onA = sends.filter((s) => s.deviceId === a.deviceId);
    const onB = sends.filter((s) => s.deviceId === b.deviceId);
    expect(onA.length + onB.length).toBe(sends.length);
    expect(onA.length).toBeGreaterThan(0);
    expect(onB.length).toBeGreaterThan(0);

    for (const s of sends) await until(`${s.id} delivered`, async () => (await statusOf(s.id)).status === 'delivered');
    // the air saw each message once, from the device it was routed to
    expect(a.sim.sent.map((m) => m.message).sort()).toEqual(onA.map((s) => s.message).sort());
    expect(b.sim.sent.map((m) => m.message).sort()).toEqual(onB.map((s) => s.message).sort());
    expect([...a.sim.sent, ...b.sim.sent].map((m) => m.to).sort()).toEqual(sends.map((s) => s.to).sort());

    // each device's webhook: sent, then delivered, once each, for each of its sends
    for (const [p, mine] of [
      [a, onA],
      [b, onB],
    ] as const) {
      await until(`${p.deviceId}'s sms_status webhooks`, () => mine.every((s) => statusesOf(p, s.id).length >= 2));
    }
    await new Promise((r) => setTimeout(r, 500)); // a repeat would show by now
    for (const s of onA) expect(statusesOf(a, s.id)).toEqual(['sent', 'delivered']);
    for (const s of onB) expect(statusesOf(b, s.id)).toEqual(['sent', 'delivered']);
    expect(a.events('sms_status')[0].data).toMatchObject({ deviceId: a.deviceId, channel: 'sms', segments: 1 });
  });

  it('a SIM takes no more than its daily quota; with every SIM full the API answers 429 QUOTA_EXCEEDED', async () => {
    const one = await phone('quota-one', [{ slot: 1, carrier: 'Partner', dailyQuota: 1 }]);
    const two = await phone('quota-two', [
      { slot: 1, carrier: 'Cellcom', dailyQuota: 1 },
      { slot: 2, carrier: 'Golan', dailyQuota: 1 },
    ]);
    const accepted: { id: string; deviceId: string; sim: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await sendSms(`+1555020000${i}`, `quota ${i}`);
      expect(res.status).toBe(202);
      accepted.push(res.json);
    }
    const full = await sendSms('+15550200009', 'one too many');
    expect(full.status).toBe(429);
    expect(full.json).toMatchObject({ success: false, code: 'QUOTA_EXCEEDED' });
    expect(accepted.filter((s) => s.deviceId === one.deviceId)).toHaveLength(1);
    expect(
      accepted
        .filter((s) => s.deviceId === two.deviceId)
        .map((s) => s.sim)
        .sort(),
    ).toEqual([1, 2]);

    for (const s of accepted) await until(`${s.id} delivered`, async () => (await statusOf(s.id)).status === 'delivered');
    expect(one.sim.sent).toHaveLength(1);
    expect(two.sim.sent.map((m) => m.sim).sort()).toEqual([1, 2]);
    // the quota counts the day's sends, not only what is queued; naming the device changes nothing
    expect((await sendSms('+15550200009', 'still too many')).json.code).toBe('QUOTA_EXCEEDED');
    const named = await api('/api/sms/send', { to: '+15550200009', message: 'named', deviceId: one.deviceId });
    expect([named.status, named.json.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    const listed = (await api('/api/devices')).json.devices as { deviceId: string; healthy: boolean; sims: { slot: number; sentToday: number }[] }[];
    expect(listed.find((d) => d.deviceId === one.deviceId)).toMatchObject({ healthy: true, sims: [{ slot: 1, dailyQuota: 1, sentToday: 1 }] });
  });

  it("a silent device's queued work moves to a healthy one and is sent once; its late report is refused", async () => {
    const quiet = await phone('silent-a');
    const busy = await phone('silent-b');
    await quiet.sim.stop(); // the phone goes away; for now it still counts as healthy (seen in the last 90 s)
    const sends: { id: string; deviceId: string; message: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await sendSms(`+1555030000${i}`, `silent ${i}`);
      expect(res.status).toBe(202);
      sends.push({ id: res.json.id, deviceId: res.json.deviceId, message: `silent ${i}` });
    }
    const stranded = sends.filter((s) => s.deviceId === quiet.deviceId);
    expect(stranded.length).toBeGreaterThan(0); // the first went to the device registered first (a tie)
    for (const s of sends.filter((x) => x.deviceId === busy.deviceId))
      await until(`${s.id} delivered`, async () => (await statusOf(s.id)).status === 'delivered');
    for (const s of stranded) expect(['queued', 'sending']).toContain((await statusOf(s.id)).status);

    backdate(quiet.deviceId, 130_000); // not seen for over 120 s now
    expect((await api('/api/devices')).json.devices.find((d: any) => d.deviceId === quiet.deviceId).healthy).toBe(false);
    await system.worker.tick(); // the per-minute cron moves it (so would the next send or poll)

    for (const s of stranded)
      await until(`${s.id} moved and delivered`, async () => {
        const now = await statusOf(s.id);
        return now.status === 'delivered' && now.deviceId === busy.deviceId;
      });
    expect(quiet.sim.sent).toEqual([]);
    const all = busy.sim.sent.map((m) => m.message).sort();
    expect(all).toEqual(sends.map((s) => s.message).sort()); // every one once, all from the healthy phone
    await until('the moved sends’ webhooks', () => stranded.every((s) => statusesOf(busy, s.id).length >= 2));
    for (const s of stranded) expect(statusesOf(busy, s.id)).toEqual(['sent', 'delivered']);

    // the silent phone wakes up and reports on work it held: it is told to drop it
    const moved = busy.sim.sent.find((m) => m.message === stranded[0]!.message)!;
    const late = await fetch(`${system.url}/gateway/android/outbox/${moved.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-secret': quiet.secret },
      body: JSON.stringify({ status: 'sent' }),
    });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ code: 'WORK_MOVED' });
    expect((await statusOf(stranded[0]!.id)).status).toBe('delivered');
  });

  it('USSD on demand: each answer reaches its own request, by API and by the ussd_response webhook', async () => {
    const answers: Record<string, string> = { '*143#': 'Balance: 42.00 ILS', '*100#': 'Your number is 0501234567' };
    const p = await phone('ussd', [{ slot: 1 }, { slot: 2 }], { ussdAnswer: (code) => answers[code] ?? 'Unknown code' });
    const asked = await Promise.all(
      [
        ['*143#', 1],
        ['*100#', 2],
      ].map(async ([code, sim]) => {
        const res = await api('/api/ussd', { deviceId: p.deviceId, sim, code });
        expect(res.status).toBe(202);
        expect(res.json).toMatchObject({ id: expect.stringMatching(/^ussd_[0-9a-f]{16}$/), code, sim });
        return { id: res.json.id as string, code: code as string, sim: sim as number };
      }),
    );
    for (const q of asked) {
      const answered = await until(`${q.id} answered`, async () => {
        const { json } = await api(`/api/ussd/${q.id}`);
        return json.status === 'answered' && json;
      });
      expect(answered).toMatchObject({ id: q.id, deviceId: p.deviceId, code: q.code, sim: q.sim, response: answers[q.code], error: null });
    }
    await until('both ussd_response webhooks', () => p.events('ussd_response').length >= 2);
    const hooks = p.events('ussd_response').map((e) => e.data);
    expect(hooks).toHaveLength(2);
    for (const q of asked) {
      expect(hooks.find((h) => h.requestId === q.id)).toMatchObject({ code: q.code, response: answers[q.code], sim: q.sim, deviceId: p.deviceId });
    }
    expect(p.sim.handled.map((h) => [h.item.type, h.outcome])).toEqual([
      ['ussd', 'answered'],
      ['ussd', 'answered'],
    ]);
    expect(p.sim.sent).toEqual([]); // a USSD code is dialled, not sent as a message
  });
});
