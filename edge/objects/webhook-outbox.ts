// One Durable Object per webhook endpoint: its alarm works the endpoint's outbox rows in D1.
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.ts';
import { TAIL_CHECK_MS, workEndpoint } from '../webhooks/outbox.ts';

export class WebhookOutbox extends DurableObject<Bindings> {
  /** Something is due at `at` (default now) for `endpoint`. */
  async kick(endpoint: string, at: number = Date.now()): Promise<void> {
    await this.ctx.storage.put('endpoint', endpoint);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const endpoint = await this.ctx.storage.get<string>('endpoint');
    if (!endpoint) return;
    const result = await workEndpoint(this.env, endpoint);
    // After a busy run, look again shortly: rows added while it ran may have skipped their kick.
    const next = result.sent > 0 ? Math.min(result.next ?? Infinity, Date.now() + TAIL_CHECK_MS) : result.next;
    if (next !== null) {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > next) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
    }
  }
}
