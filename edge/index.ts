// Worker entry: HTTP (Hono), the cron tick, and the Durable Object classes.
import { createApp } from './app.ts';
import { getDb } from './db/client.ts';
import type { Bindings } from './env.ts';
import { purgeExpiredSessions } from './services/sessions.ts';
import { sweepOverdue } from './webhooks/outbox.ts';
import { sweepScheduled } from './scheduler/dispatch.ts';

export { RateLimiter } from './objects/rate-limiter.ts';
export { WebhookOutbox } from './objects/webhook-outbox.ts';
export { BridgeLink } from './objects/bridge-link.ts';
export { ClientHub } from './objects/client-hub.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(Promise.all([purgeExpiredSessions(getDb(env.DB)), sweepOverdue(env), sweepScheduled(env, controller.scheduledTime)]));
  },
} satisfies ExportedHandler<Bindings>;
