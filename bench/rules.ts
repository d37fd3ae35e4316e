// Automations under load: Android SMS posted to /gateway/android with no rule, then with an auto-reply
// rule; each reply is read back as the phone would take it (its outbox). Figures: what a rule costs the
// ingress, how fast runs finish, event → reply latency, and that every event got exactly one reply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSystem } from '../scripts/system.ts';
import { LIFTED_LIMITS, percentile, round, runLoad } from './load.ts';

export async function benchRules(opts: { events?: number; concurrency?: number } = {}) {
  // under the rule's highest cap (600 a minute), so every event runs
  const events = opts.events ?? 500;
  const concurrency = opts.concurrency ?? 16;
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
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
  try {
    const headers = { 'content-type': 'application/json', 'x-api-key': system.admin.apiKey! };
    const device = (await (await fetch(`${system.url}/api/devices`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench' }) })).json()) as {
      secret: string;
    };
    const wall0 = Date.now();
    const post = (i: number) => async () => {
      const res = await fetch(`${system.url}/gateway/android`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-secret': device.secret },
        body: JSON.stringify({ type: 'sms', data: { id: i, sim: 1, phone: '+15550001111', message: `bench ${i}`, timestamp: Math.floor(wall0 / 1000) } }),
      });
      await res.arrayBuffer();
      return res.ok;
    };
    await runLoad(100, concurrency, (i) => post(1_000_000 + i)()); // warm
    const without = await runLoad(events, concurrency, (i) => post(2_000_000 + i)());

    const rule = (await (
      await fetch(`${system.url}/api/rules`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'bench auto-reply',
          maxRunsPerMinute: 600,
          trigger: { event: 'sms_received' },
          actions: [{ type: 'reply', text: 'got {{data.message}}' }],
        }),
      })
    ).json()) as { id: string };

    const sentAt = new Array<number>(events);
    const t0 = performance.now();
    const withRule = await runLoad(events, concurrency, (i) => {
      sentAt[i] = Date.now();
      return post(i)();
    });
    // the phone takes its work: each reply once
    const replies = new Map<number, number>();
    const latencies: number[] = [];
    const deadline = Date.now() + 180_000;
    while (replies.size < events && Date.now() < deadline) {
      const got = (await (await fetch(`${system.url}/gateway/android/outbox?limit=100`, { headers: { 'x-device-secret': device.secret } })).json()) as {
        messages: { message: string }[];
      };
      const now = Date.now();
      for (const m of got.messages) {
        const i = Number(/got bench (\d+)$/.exec(m.message)?.[1]);
        if (!Number.isInteger(i)) continue;
        replies.set(i, (replies.get(i) ?? 0) + 1);
        if (replies.get(i) === 1) latencies.push(now - sentAt[i]!);
      }
      if (!got.messages.length) await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const runs = (await (await fetch(`${system.url}/api/rules/${rule.id}/runs?limit=100`, { headers })).json()) as { runs: { status: string }[] };
    const repeated = [...replies.values()].filter((n) => n > 1).length;
    return {
      benchmark: 'android SMS → auto-reply rule → reply in the device outbox',
      events,
      concurrency,
      ingressWithoutRule: { requestsPerSecond: without.perSecond, p50ms: without.p50ms, p99ms: without.p99ms, errors: without.errors },
      ingressWithRule: { requestsPerSecond: withRule.perSecond, p50ms: withRule.p50ms, p99ms: withRule.p99ms, errors: withRule.errors },
      ingressRatio: round(withRule.perSecond / without.perSecond, 2),
      runs: {
        repliesPerSecond: round(replies.size / seconds),
        eventToReplyP50ms: round(percentile(latencies, 50)),
        eventToReplyP99ms: round(percentile(latencies, 99)),
        replied: replies.size,
        lost: events - replies.size,
        duplicated: repeated,
        newestRunsDone: runs.runs.filter((r) => r.status === 'done').length,
      },
    };
  } finally {
    await system.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
