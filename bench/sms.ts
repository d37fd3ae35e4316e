// SMS handed to Android devices: `POST /api/sms/send` (routed) at 16 concurrent callers while two devices
// long-poll the outbox (`wait=20`) and report each message sent, beside the bare Hono POST route in the
// same run. Measured: the API's rate against the bare route, SMS handed to the devices per second, and
// how long each SMS took from its 202 to reaching a device (the long-poll's wake-up: "leaves within a second").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSystem } from '../scripts/system.ts';
import { LIFTED_LIMITS, percentile, round, runLoad } from './load.ts';

const HANDOFF_TARGET_MS = 1000;

export async function benchSms(opts: { requests?: number; concurrency?: number } = {}) {
  const requests = opts.requests ?? 1000;
  const concurrency = opts.concurrency ?? 16;
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-bench-sms-'));
  const system = await startSystem({
    entry: 'bench/worker.ts',
    port: await freePort(),
    stateDir,
    bridge: false,
    env: {
      ...process.env,
      RATE_LIMITS: LIFTED_LIMITS,
    },
  });
  const stop = new AbortController();
  try {
    const headers = { 'content-type': 'application/json', 'x-api-key': system.admin.apiKey! };
    const devices = await Promise.all(
      [1, 2].map(async (n) => {
        const res = await fetch(`${system.url}/api/devices`, { method: 'POST', headers, body: JSON.stringify({ name: `bench phone ${n}` }) });
        return ((await res.json()) as { secret: string }).secret;
      }),
    );
    const acceptedAt = new Map<string, number>();
    const handoffMs: number[] = [];
    let handed = 0;
    let lastHandedAt = 0;
    // each device: long-poll, "send", report sent (reports in parallel, as a phone sending several would)
    const phone = async (secret: string) => {
      const h = { 'x-device-secret': secret, 'content-type': 'application/json' };
      await fetch(`${system.url}/gateway/android/sims`, { method: 'POST', headers: h, body: JSON.stringify({ sims: [{ slot: 1, carrier: 'Bench' }] }) });
      while (!stop.signal.aborted) {
        const res = await fetch(`${system.url}/gateway/android/outbox?wait=20&limit=50`, { headers: h, signal: stop.signal }).catch(() => null);
        if (!res?.ok) continue;
        const { messages } = (await res.json()) as { messages: { id: number; message: string }[] };
        const now = performance.now();
        for (const m of messages) {
          const at = acceptedAt.get(m.message);
          if (at !== undefined) handoffMs.push(now - at);
          handed++;
        }
        lastHandedAt = now;
        await Promise.all(
          messages.map((m) => fetch(`${system.url}/gateway/android/outbox/${m.id}`, { method: 'POST', headers: h, body: JSON.stringify({ status: 'sent' }) })),
        );
      }
    };
    const phones = devices.map((s) => phone(s).catch(() => undefined));
    void phones; // they run until the end (stop aborts their polls)
    const bare = async () => {
      const res = await fetch(`${system.url}/bench/bare`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"to":"+15550000001","message":"hi"}',
      });
      await res.arrayBuffer();
      return res.ok;
    };
    let firstError: string | undefined;
    const send = (tag: string) => async (i: number) => {
      const message = `${tag} ${i}`;
      const res = await fetch(`${system.url}/api/sms/send`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ to: `+1555${String(i % 1000).padStart(7, '0')}`, message }),
      });
      const text = await res.text();
      if (res.status !== 202) firstError ??= `${res.status} ${text.slice(0, 200)}`;
      else acceptedAt.set(message, performance.now());
      return res.status === 202;
    };
    // warm up both, then measure
    await runLoad(200, concurrency, bare);
    await runLoad(100, concurrency, send('warm'));
    const bareResult = await runLoad(requests, concurrency, bare);
    handoffMs.length = 0;
    handed = 0;
    const started = performance.now();
    const load = await runLoad(requests, concurrency, send('bench'));
    const deadline = Date.now() + 60_000;
    while (handed < requests - load.errors && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const handedPerSecond = round(handed / ((lastHandedAt - started) / 1000));
    handoffMs.sort((a, b) => a - b);
    const throughputRatio = round(load.perSecond / bareResult.perSecond, 2);
    const p99 = round(percentile(handoffMs, 99));
    return {
      benchmark: 'POST /api/sms/send (routed over 2 long-polling devices) beside a bare POST route, 16 callers',
      bare: { requestsPerSecond: bareResult.perSecond, p99ms: bareResult.p99ms },
      send: { requestsPerSecond: load.perSecond, p50ms: load.p50ms, p99ms: load.p99ms, errors: load.errors, ...(firstError ? { firstError } : {}) },
      throughputRatio,
      handedToDevices: handed,
      handedPerSecond,
      handoffMs: { p50: round(percentile(handoffMs, 50)), p99, max: round(handoffMs.at(-1) ?? Number.NaN) },
      target: `every accepted SMS handed to a device; hand-off p99 <= ${HANDOFF_TARGET_MS} ms; throughputRatio >= 0.3`,
      met: handed === requests - load.errors && load.errors === 0 && p99 <= HANDOFF_TARGET_MS && throughputRatio >= 0.3,
    };
  } finally {
    stop.abort();
    await system.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
