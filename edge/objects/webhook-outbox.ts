// One Durable Object per webhook endpoint: its alarm works the endpoint's outbox rows in D1.
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.ts';
import { KICK_WINDOW_MS, TAIL_CHECK_MS, workEndpoint } from '../webhooks/outbox.ts';

export class WebhookOutbox extends DurableObject<Bindings> {
  private running = false;
  private kickedWhileRunning = false;

  /** Something is due at `at` (default now) for `endpoint`. */
  async kick(endpoint: string, at: number = Date.now()): Promise<void> {
    // Kicks that isolates skip after this one (KICK_WINDOW_MS) are covered by a look once it has passed.
    await this.ctx.storage.put('lastKick', Date.now());
    if (this.running) {
      // the running alarm looks again as soon as it finishes
      this.kickedWhileRunning = true;
      return;
    }
    await this.ctx.storage.put('endpoint', endpoint);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const endpoint = await this.ctx.storage.get<string>('endpoint');
    if (!endpoint) return;
    this.running = true;
    this.kickedWhileRunning = false;
    let result: Awaited<ReturnType<typeof workEndpoint>>;
    try {
      result = await workEndpoint(this.env, endpoint, (p) => this.ctx.waitUntil(p));
    } finally {
      this.running = false;
    }
    const now = Date.now();
    let next = result.next;
    // Rows added while it ran may have skipped their kick: look again soon after a busy run, at once after a kick.
    if (this.kickedWhileRunning) next = now;
    else if (result.sent > 0) next = Math.min(next ?? Infinity, now + TAIL_CHECK_MS);
    const windowEnd = ((await this.ctx.storage.get<number>('lastKick')) ?? 0) + KICK_WINDOW_MS + 100;
    if (windowEnd > now) next = Math.min(next ?? Infinity, windowEnd);
    // getAlarm() still reports the running alarm here, so set the next one outright.
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now));
  }
}
