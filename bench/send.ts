// POST /api/send-message through Worker → ClientHub → BridgeLink → bridge (sandbox), beside a bare
// Hono POST route on the same runtime in the same run, at 16 concurrent callers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startSystem } from '../scripts/system.ts';
import { workerdCpuMs } from './cpu.ts';
import { round, runLoad } from './load.ts';

export async function benchSend(opts: { requests?: number; concurrency?: number } = {}) {
  const requests = opts.requests ?? 1500;
  const concurrency = opts.concurrency ?? 16;
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-bench-send-'));
  const system = await startSystem({
    entry: 'bench/worker.ts',
    port: await freePort(),
    stateDir,
    env: { ...process.env, RATE_LIMITS: JSON.stringify({ api: { limit: 1_000_000, windowSec: 60 } }) },
  });
  try {
    const headers = { 'content-type': 'application/json', 'x-api-key': system.admin.apiKey! };
    await fetch(`${system.url}/api/add-number`, { method: 'POST', headers, body: JSON.stringify({ clientId: 'bench', phoneNumber: '12345678901' }) });
    await fetch(`${system.url}/api/sandbox/bench/scan`, { method: 'POST', headers });
    const bare = async () => {
      const res = await fetch(`${system.url}/bench/bare`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"clientId":"bench","number":"15550000001","message":"hi"}',
      });
      await res.arrayBuffer();
      return res.ok;
    };
    let firstError: string | undefined;
    const send = async (i: number) => {
      const res = await fetch(`${system.url}/api/send-message`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ clientId: 'bench', number: '15550000001', message: `bench ${i}` }),
      });
      const text = await res.text();
      if (!res.ok) firstError ??= `${res.status} ${text.slice(0, 200)}`;
      return res.ok;
    };
    await runLoad(200, concurrency, bare);
    await runLoad(100, concurrency, send);
    let cpu = workerdCpuMs();
    const bareResult = await runLoad(requests, concurrency, bare);
    const bareCpuMs = workerdCpuMs() - cpu;
    cpu = workerdCpuMs();
    const sendResult = await runLoad(requests, concurrency, send);
    // the acks that follow each send (0.5 s and 1 s later in the sandbox) are part of what a send costs
    await new Promise((r) => setTimeout(r, 2500));
    const sendCpuMs = workerdCpuMs() - cpu;
    return {
      benchmark: 'send-message through Worker → bridge (sandbox)',
      requests,
      concurrency,
      bareRoute: {
        requestsPerSecond: bareResult.perSecond,
        p50ms: bareResult.p50ms,
        p99ms: bareResult.p99ms,
        workerdCpuMsPerRequest: round(bareCpuMs / requests, 2),
      },
      sendMessage: {
        requestsPerSecond: sendResult.perSecond,
        p50ms: sendResult.p50ms,
        p99ms: sendResult.p99ms,
        errors: sendResult.errors,
        workerdCpuMsPerRequest: round(sendCpuMs / requests, 2),
        ...(firstError ? { firstError } : {}),
      },
      throughputRatio: round(sendResult.perSecond / bareResult.perSecond, 2),
      p99Ratio: round(sendResult.p99ms / bareResult.p99ms, 2),
      target: 'throughputRatio >= 0.5 and p99Ratio <= 2',
      met: sendResult.perSecond >= 0.5 * bareResult.perSecond && sendResult.p99ms <= 2 * bareResult.p99ms && sendResult.errors === 0,
    };
  } finally {
    await system.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
