// A Durable Object whose alarm works a durable queue kept in D1 (webhook deliveries, rule runs) for one
// key: woken when rows are added, it works until nothing is due and comes back when the next row is.
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.ts';
import { TAIL_CHECK_MS, WAKE_WINDOW_MS } from '../lib/wake-window.ts';

export abstract class Wakeable<K extends string | number> extends DurableObject<Bindings> {
  /** where the key is kept in the object's storage */
  protected readonly keyName: string = 'key';
  private running = false;
  private wokenWhileRunning = false;

  /** Works what is due for `key` until the deadline; answers when the next row is due (null: none) and how many it worked. */
  protected abstract work(key: K): Promise<{ next: number | null; worked: number }>;

  /** Something is due at `at` (default now) for `key`. */
  async wake(key: K, at: number = Date.now()): Promise<void> {
    // Wake-ups that isolates skip after this one (WAKE_WINDOW_MS) are covered by a look once it has passed.
    await this.ctx.storage.put('lastWake', Date.now());
    if (this.running) {
      // the running alarm looks again as soon as it finishes
      this.wokenWhileRunning = true;
      return;
    }
    await this.ctx.storage.put(this.keyName, key);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const key = await this.ctx.storage.get<K>(this.keyName);
    if (key === undefined) return;
    this.running = true;
    this.wokenWhileRunning = false;
    let result: { next: number | null; worked: number };
    try {
      result = await this.work(key);
    } finally {
      this.running = false;
    }
    const now = Date.now();
    let next = result.next;
    // Rows added while it ran may have skipped their wake-up: look again soon after a busy run, at once after a wake-up.
    if (this.wokenWhileRunning) next = now;
    else if (result.worked > 0) next = Math.min(next ?? Infinity, now + TAIL_CHECK_MS);
    const windowEnd = ((await this.ctx.storage.get<number>('lastWake')) ?? 0) + WAKE_WINDOW_MS + 100;
    if (windowEnd > now) next = Math.min(next ?? Infinity, windowEnd);
    // getAlarm() still reports the running alarm here, so set the next one outright.
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now));
  }
}
