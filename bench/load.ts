// A small closed-loop load generator: `concurrency` callers, each sending its next request when the last returns.
import { workerdCpuMs } from './cpu.ts';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

export const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function runLoad(total: number, concurrency: number, send: (i: number) => Promise<boolean>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const ok = await send(i).catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: total,
    errors,
    seconds: round(seconds, 2),
    perSecond: round(total / seconds),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
  };
}

/** Every row of a paged list (`X-Next-Cursor`), newest first; `more(page)` false stops early. */
export async function allPages<T>(url: string, headers: Record<string, string>, more: (page: T[]) => boolean = () => true): Promise<T[]> {
  const rows: T[] = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const res: Response = await fetch(`${url}${url.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers });
    const page = (await res.json()) as T[];
    rows.push(...page);
    cursor = more(page) ? res.headers.get('x-next-cursor') : null;
  }
  return rows;
}

/** The limiters lifted for a benchmark's load (one address, one device): what they refuse is not what is measured. */
export const LIFTED_LIMITS = JSON.stringify({
  api: { limit: 1_000_000, windowSec: 60 },
  gateway: { limit: 1_000_000, windowSec: 60 },
  device: { limit: 1_000_000, windowSec: 60 },
});

/**
 * The runtime's floor for a request that does `posts` outbound POSTs and one D1 statement (bench/worker.ts
 * `/bench/relay`, to a local receiver): no route that does as much can be faster on this runtime.
 */
export async function runtimeFloor(base: string, to: string, posts: number, total: number, concurrency: number, bareRequestsPerSecond: number) {
  const relay = (warm: boolean) => async () => {
    const res = await fetch(`${base}/bench/relay?n=${posts}&to=${encodeURIComponent(to)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"sms"}',
    });
    await res.arrayBuffer();
    return res.ok || warm;
  };
  await runLoad(100, concurrency, relay(true));
  const cpu = workerdCpuMs();
  const load = await runLoad(total, concurrency, relay(false));
  return {
    what: `one inbound request + one D1 statement + ${posts} outbound POST${posts > 1 ? 's' : ''}`,
    requestsPerSecond: load.perSecond,
    ratioToBare: round(load.perSecond / bareRequestsPerSecond, 2),
    workerdCpuMsPerRequest: round((workerdCpuMs() - cpu) / total, 2),
    errors: load.errors,
  };
}

/** D1 calls the bench Worker made since the last ask (bench/d1-calls.ts). */
export async function takeD1Calls(base: string): Promise<number> {
  return ((await (await fetch(`${base}/bench/d1-calls`, { method: 'POST' })).json()) as { calls: number }).calls;
}
