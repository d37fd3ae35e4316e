// A bare POST route for benchmarks: the yardstick the real routes are measured against in the same run.
// Served only when BENCH_ROUTES=true (never in a normal start or deployment).
import { Hono } from 'hono';
import type { AppEnv } from '../../env.ts';

export const benchRouter = new Hono<AppEnv>().post('/bench/bare', async (c) => {
  if (c.env.BENCH_ROUTES !== 'true') return c.notFound();
  await c.req.text();
  return c.json({ ok: true });
});
