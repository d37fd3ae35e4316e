// One Durable Object per webhook endpoint: its alarm sends the endpoint's due deliveries (rows in D1).
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.ts';
import { TAIL_CHECK_MS, WAKE_WINDOW_MS } from '../webhooks/enqueue.ts';
import { sendDue } from '../webhooks/send-due.ts';
import type { WebhookSenderRpc } from './contracts.ts';

export class WebhookSender extends DurableObject<Bindings> implements WebhookSenderRpc {
  private running = false;
  private wokenWhileRunning = false;

  /** Something is due at `at` (default now) for `endpoint`. */
  async wake(endpoint: string, at: number = Date.now()): Promise<void> {
    // Wake-ups that isolates skip after this one (WAKE_WINDOW_MS) are covered by a look once it has passed.
    await this.ctx.storage.put('lastWake', Date.now());
    if (this.running) {
      // the running alarm looks again as soon as it finishes
      this.wokenWhileRunning = true;
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
    this.wokenWhileRunning = false;
    let result: Awaited<ReturnType<typeof sendDue>>;
    try {
      result = await sendDue(this.env, endpoint, (p) => this.ctx.waitUntil(p));
    } finally {
      this.running = false;
    }
    const now = Date.now();
    let next = result.next;
    // Rows added while it ran may have skipped their wake-up: look again soon after a busy run, at once after a wake-up.
    if (this.wokenWhileRunning) next = now;
    else if (result.sent > 0) next = Math.min(next ?? Infinity, now + TAIL_CHECK_MS);
    const windowEnd = ((await this.ctx.storage.get<number>('lastWake')) ?? 0) + WAKE_WINDOW_MS + 100;
    if (windowEnd > now) next = Math.min(next ?? Infinity, windowEnd);
    // getAlarm() still reports the running alarm here, so set the next one outright.
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now));
  }
}
