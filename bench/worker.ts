// The Worker the benchmarks run: the shipped Worker plus a bare POST route, the yardstick the real
// routes are measured against in the same run. Never part of `npm start` or a deployment.
import worker from '../edge/index.ts';
import { createApp } from '../edge/app.ts';
import type { Bindings } from '../edge/env.ts';
import { countD1Calls, takeD1Calls } from './d1-calls.ts';

export { BridgeLink, ClientHub, DeviceHub, RateLimiter, RuleRunner, WebhookSender } from '../edge/index.ts';

const app = createApp();
app.post('/bench/bare', async (c) => {
  await c.req.text();
  return c.json({ ok: true });
});

// The least the runtime lets a request that writes and calls out cost: one D1 statement and `n` outbound POSTs
// (through the same outbound guard webhooks take). Ingress → webhook does at least this (n = 1), a send with a
// webhook at least n = 3 (message_sent and two message_acks): the benchmarks print it beside the bare route.
app.post('/bench/relay', async (c) => {
  const body = await c.req.text();
  const to = c.req.query('to') ?? '';
  // a local receiver only: the benchmarks allow private targets, so anything else would make this an open relay
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(to)) return c.json({ error: 'to must be a http://127.0.0.1:<port>/ URL' }, 400);
  await c.env.DB.prepare('SELECT length(?) AS n').bind(body).first();
  const n = Math.min(Number(c.req.query('n') ?? 1), 10);
  const posts = Array.from({ length: n }, () =>
    fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer()),
  );
  await Promise.all(posts);
  return c.json({ ok: true });
});

// D1 calls made since the last ask (every route and object in this isolate)
app.post('/bench/d1-calls', (c) => c.json({ calls: takeD1Calls() }));

export default {
  fetch: (request, env, ctx) => {
    countD1Calls(env.DB);
    return app.fetch(request, env, ctx);
  },
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Bindings>;
