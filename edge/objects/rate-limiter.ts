// One Durable Object per (rule, IP): an exact sliding-window log in SQLite storage, so it survives eviction.
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.ts';
import type { LimitResult, RateLimiterRpc } from './contracts.ts';

export class RateLimiter extends DurableObject<Bindings> implements RateLimiterRpc {
  private readonly sql: SqlStorage;
  /** when this object's alarm is set for (null: not known to be set) */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL)');
  }

  /** Counts one hit if the window has room; never counts a refused one. */
  hit(limit: number, windowMs: number): LimitResult {
    return this.evaluate(limit, windowMs, true);
  }

  /** Gives back the newest hit (a login that turned out to succeed). */
  refund(): void {
    this.log?.pop();
    this.sql.exec('DELETE FROM hits WHERE id = (SELECT max(id) FROM hits)');
  }

  /** Reports whether a hit would be allowed, without counting it. */
  peek(limit: number, windowMs: number): LimitResult {
    return this.evaluate(limit, windowMs, false);
  }

  /** The log in memory, oldest first (read from storage once per start); storage keeps it across evictions. */
  private log: number[] | null = null;
  /** the window the last hit was counted in */
  private windowMs: number | null = null;

  private evaluate(limit: number, windowMs: number, record: boolean): LimitResult {
    const now = Date.now();
    this.windowMs = windowMs;
    this.log ??= this.sql
      .exec<{ ts: number }>('SELECT ts FROM hits ORDER BY ts, id')
      .toArray()
      .map((r) => r.ts);
    let expired = 0;
    while (expired < this.log.length && this.log[expired]! <= now - windowMs) expired++;
    if (expired) {
      this.log.splice(0, expired);
      this.sql.exec('DELETE FROM hits WHERE ts <= ?', now - windowMs);
    }
    const count = this.log.length;
    const oldest = this.log[0] ?? now;
    if (count >= limit) {
      // Room again when enough of the oldest hits leave the window.
      const nth = this.log[count - limit]!;
      return { allowed: false, limit, remaining: 0, retryAfterMs: Math.max(1, nth + windowMs - now), resetMs: oldest + windowMs - now };
    }
    if (record) {
      this.log.push(now);
      this.sql.exec('INSERT INTO hits (ts) VALUES (?)', now);
      // the alarm clears the log once every hit has left the window; moved later at most once a second
      if (this.alarmAt === null || this.alarmAt < now + windowMs) {
        this.alarmAt = now + windowMs + 1000;
        void this.ctx.storage.setAlarm(this.alarmAt);
      }
    }
    const used = count + (record ? 1 : 0);
    return { allowed: true, limit, remaining: limit - used, retryAfterMs: 0, resetMs: (count ? oldest : now) + windowMs - now };
  }

  /** Set one second past the newest hit's window: by then every hit has left it. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (this.windowMs !== null) {
      // the window is known: only what left it goes (a hit still in it stays, and the alarm with it)
      const cutoff = Date.now() - this.windowMs;
      this.sql.exec('DELETE FROM hits WHERE ts <= ?', cutoff);
      this.log = this.log?.filter((ts) => ts > cutoff) ?? null;
      const newest = this.log?.at(-1);
      if (newest !== undefined) {
        this.alarmAt = newest + this.windowMs + 1000;
        await this.ctx.storage.setAlarm(this.alarmAt);
      }
      return;
    }
    // after a restart the window is not known; the alarm was set past the newest hit's window
    this.log = [];
    this.sql.exec('DELETE FROM hits');
  }
}
