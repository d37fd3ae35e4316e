// 10,000 scheduled messages due in the same minute over the sandbox (10 clients): time to dispatch
// them all, lateness p50/p99, duplicates and losses (counted from the message_sent webhooks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../test/support/receiver.ts';
import { freePort, startSystem } from '../scripts/system.ts';
import { allPages, percentile, round, runLoad } from './load.ts';

export async function benchScheduled(opts: { messages?: number; clients?: number } = {}) {
  const total = opts.messages ?? 10_000;
  const clientCount = opts.clients ?? 10;
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-bench-sched-'));
  const receiver = await startReceiver();
  const system = await startSystem({
    port: await freePort(),
    stateDir,
    env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true', RATE_LIMITS: JSON.stringify({ api: { limit: 10_000_000, windowSec: 60 } }) },
  });
  try {
    const headers = { 'content-type': 'application/json', 'x-api-key': system.admin.apiKey! };
    const post = (path: string, body: unknown) => fetch(`${system.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    for (let c = 0; c < clientCount; c++) {
      await post('/api/add-number', { clientId: `s${c}`, phoneNumber: String(12345678900 + c) });
      await post(`/api/sandbox/s${c}/scan`, {});
      await post('/api/update-webhook', { clientId: `s${c}`, webhookUrl: `${receiver.url}/hook/sched` });
    }
    // creation pace is measured first (on messages due tomorrow), so the minute they are due in starts after they all exist
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const probe = await runLoad(
      200,
      16,
      async (i) =>
        (await post('/api/schedule-message', { clientId: `s${i % clientCount}`, number: '15550000009', message: `probe ${i}`, scheduleTime: tomorrow })).ok,
    );
    const createSeconds = Math.ceil(total / Math.max(20, probe.perSecond * 0.8));
    const minuteStart = Date.now() + (createSeconds + 15) * 1000;
    const creation = await runLoad(total, 16, async (i) => {
      const res = await post('/api/schedule-message', {
        clientId: `s${i % clientCount}`,
        number: '15550000001',
        message: `sched ${i}`,
        scheduleTime: new Date(minuteStart + (i % 60) * 1000).toISOString(),
      });
      await res.arrayBuffer();
      return res.ok;
    });
    const createdBy = Date.now();
    const box = receiver.box('sched');
    const deadline = minuteStart + 60_000 + 300_000;
    const done = () => new Set(box.received.map((r) => /sched (\d+)/.exec(r.body)?.[1])).size >= total;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const list = await allPages<{ scheduleTime: string; sentTime: string | null; status: string }>(`${system.url}/api/scheduled-messages?status=sent`, headers);
    const lateness = list
      .filter((m) => m.sentTime)
      .map((m) => Date.parse(m.sentTime!) - Date.parse(m.scheduleTime))
      .sort((a, b) => a - b);
    const seen = new Map<string, number>();
    for (const r of box.received) {
      const body = JSON.parse(r.body) as { event: string; data: { message?: string } };
      if (body.event !== 'message_sent') continue;
      const key = body.data.message ?? '';
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const duplicates = [...seen.values()].reduce((a, n) => a + (n - 1), 0);
    const lastSent = Math.max(...list.filter((m) => m.sentTime).map((m) => Date.parse(m.sentTime!)));
    const maxLateMs = lateness.at(-1) ?? NaN;
    return {
      benchmark: 'scheduled messages due in the same minute (sandbox)',
      messages: total,
      clients: clientCount,
      creation: { requestsPerSecond: creation.perSecond, errors: creation.errors, finishedBeforeTheMinute: createdBy < minuteStart },
      dispatch: {
        secondsFromMinuteStartToLastSend: round((lastSent - minuteStart) / 1000, 1),
        latenessP50ms: round(percentile(lateness, 50)),
        latenessP99ms: round(percentile(lateness, 99)),
        latenessMaxMs: round(maxLateMs),
        sent: list.length,
        duplicates,
        lost: total - seen.size,
      },
      target: 'every message sent within 60 s of its time, lateness p99 <= 2 s, duplicates 0, lost 0',
      met: maxLateMs <= 60_000 && percentile(lateness, 99) <= 2000 && duplicates === 0 && seen.size === total,
    };
  } finally {
    await system.stop();
    await receiver.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
