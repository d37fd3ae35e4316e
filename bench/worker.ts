// The Worker the benchmarks run: the shipped Worker plus a bare POST route, the yardstick the real
// routes are measured against in the same run. Never part of `npm start` or a deployment.
import worker from '../edge/index.ts';
import { createApp } from '../edge/app.ts';
import type { Bindings } from '../edge/env.ts';

export { BridgeLink, ClientHub, DeviceHub, RateLimiter, RuleRunner, WebhookSender } from '../edge/index.ts';

const app = createApp();
app.post('/bench/bare', async (c) => {
  await c.req.text();
  return c.json({ ok: true });
});

export default { fetch: app.fetch, scheduled: worker.scheduled } satisfies ExportedHandler<Bindings>;
