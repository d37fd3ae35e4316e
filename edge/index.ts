// Worker entry: HTTP (Hono), the cron tick, and the Durable Object classes.
import { createApp } from './app.ts';
import type { Bindings } from './env.ts';
import { purgeExpired } from './services/retention.ts';
import { sweepDevices } from './services/sms-sends.ts';
import { sweepOverdue } from './webhooks/send-due.ts';
import { sweepScheduled } from './scheduler/dispatch.ts';
import { wakeRules } from './rules/inbox.ts';
import { sweepRules } from './rules/runner.ts';

export { RateLimiter } from './objects/rate-limiter.ts';
export { DeviceHub } from './objects/device-hub.ts';
export { WebhookSender } from './objects/webhook-sender.ts';
export { BridgeLink } from './objects/bridge-link.ts';
export { ClientHub } from './objects/client-hub.ts';
export { RuleRunner } from './objects/rule-runner.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      Promise.all([
        purgeExpired(env),
        sweepOverdue(env),
        sweepScheduled(env, controller.scheduledTime),
        sweepDevices(env),
        sweepRules(env, (userId) => wakeRules(env, userId)),
      ]),
    );
  },
} satisfies ExportedHandler<Bindings>;
