// Android payloads posted to /gateway/android until delivered to a local receiver, beside a bare Hono
// POST route served by the same runtime in the same run. The ratio is the figure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../test/support/receiver.ts';
import { freePort, startSystem } from '../scripts/system.ts';
import { LIFTED_LIMITS, percentile, round, runLoad, runtimeFloor, takeD1Calls } from './load.ts';

export async function benchWebhooks(opts: { events?: number; concurrency?: number } = {}) {
  const events = opts.events ?? 2000;
  const concurrency = opts.concurrency ?? 16;
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const receiver = await startReceiver();
  const system = await startSystem({
    entry: 'bench/worker.ts',
    port: await freePort(),
    stateDir,
    env: {
      ...process.env,
      ALLOW_PRIVATE_WEBHOOK_URLS: 'true',
      // the load comes from one address and one device: the limiters would refuse it, which is not what is measured
      RATE_LIMITS: LIFTED_LIMITS,
    },
  });
  try {
    const key = system.admin.apiKey!;
    const box = receiver.box('bench');
    const device = (await (
      await fetch(`${system.url}/api/devices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ name: 'bench', webhookUrl: `${receiver.url}/hook/bench` }),
      })
    ).json()) as { secret: string };

    // warm both paths
    await runLoad(200, concurrency, async () => (await fetch(`${system.url}/bench/bare`, { method: 'POST', body: '{}' })).ok);
    const bare = await runLoad(events, concurrency, async () => {
      const res = await fetch(`${system.url}/bench/bare`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"sms"}' });
      await res.arrayBuffer();
      return res.ok;
    });

    await takeD1Calls(system.url);
    const sentAt = new Array<number>(events);
    const t0 = performance.now();
    const wall0 = Date.now();
    const ingress = await runLoad(events, concurrency, async (i) => {
      sentAt[i] = Date.now();
      const res = await fetch(`${system.url}/gateway/android`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-secret': device.secret },
        body: JSON.stringify({ type: 'sms', data: { id: i + 1, sim: 1, phone: '+15550001111', message: `bench ${i}`, timestamp: Math.floor(wall0 / 1000) } }),
      });
      await res.arrayBuffer();
      return res.ok;
    });

    const deadline = Date.now() + 180_000;
    while (box.received.length < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const seconds = (performance.now() - t0) / 1000;
    const d1Calls = await takeD1Calls(system.url);
    // what one inbound request, one D1 statement and one outbound POST cost here: ingress → webhook does at least that
    // (measured after the pipeline, so it does not disturb it)
    const floor = await runtimeFloor(system.url, `${receiver.url}/hook/floor`, 1, events, concurrency, bare.perSecond);
    const seen = new Map<number, number>();
    const ids = new Set<string>();
    const latencies: number[] = [];
    for (const r of box.received) {
      const i = Number(/bench (\d+)/.exec(r.body)?.[1]);
      seen.set(i, (seen.get(i) ?? 0) + 1);
      ids.add(r.headers['webhook-id'] ?? '');
      if ((seen.get(i) ?? 0) === 1) latencies.push(r.at - sentAt[i]!);
    }
    latencies.sort((a, b) => a - b);
    const delivered = seen.size;
    const duplicates = box.received.length - delivered;
    const deliveredPerSecond = round(delivered / seconds);
    return {
      benchmark: 'android ingress → signed webhook delivery',
      events,
      concurrency,
      bareRoute: { requestsPerSecond: bare.perSecond, p50ms: bare.p50ms, p99ms: bare.p99ms },
      ingress: { requestsPerSecond: ingress.perSecond, p50ms: ingress.p50ms, p99ms: ingress.p99ms, errors: ingress.errors },
      delivery: {
        deliveredEventsPerSecond: deliveredPerSecond,
        ingressToDeliveryP50ms: round(percentile(latencies, 50)),
        ingressToDeliveryP99ms: round(percentile(latencies, 99)),
        delivered,
        lost: events - delivered,
        duplicates,
        distinctWebhookIds: ids.size,
      },
      d1CallsPerEvent: round(d1Calls / events, 2),
      runtimeFloor: floor,
      ratio: round(deliveredPerSecond / bare.perSecond, 2),
      ratioToFloor: round(deliveredPerSecond / floor.requestsPerSecond, 2),
      target: 'deliveredEventsPerSecond >= 0.5 × bare route requests/s, lost = 0, duplicates = 0',
      met: deliveredPerSecond >= 0.5 * bare.perSecond && delivered === events && duplicates === 0,
    };
  } finally {
    await system.stop();
    await receiver.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
