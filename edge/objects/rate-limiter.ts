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

  /**
   * Counts one hit if the window has room, and up to `want - 1` more while it has room for them (a lease an
   * isolate spends without asking again: `granted` says how many); never counts a refused one.
   */
  hit(limit: number, windowMs: number, want = 1): LimitResult {
    return this.evaluate(limit, windowMs, Math.max(1, Math.min(Math.floor(want), limit)));
  }

  /** Gives back the `n` newest hits (a login that turned out to succeed; a lease's unspent slots). */
  refund(n = 1): void {
    const count = Math.max(0, Math.floor(n));
    if (!count) return;
    this.log?.splice(Math.max(0, this.log.length - count), count);
    this.sql.exec('DELETE FROM hits WHERE id IN (SELECT id FROM hits ORDER BY id DESC LIMIT ?)', count);
  }

  /** Reports whether a hit would be allowed, without counting it. */
  peek(limit: number, windowMs: number): LimitResult {
    return this.evaluate(limit, windowMs, 0);
  }

  /** The log in memory, oldest first (read from storage once per start); storage keeps it across evictions. */
  private log: number[] | null = null;
  /** the window the last hit was counted in */
  private windowMs: number | null = null;

  private evaluate(limit: number, windowMs: number, record: number): LimitResult {
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
    const granted = Math.min(record, limit - count);
    if (granted > 0) {
      for (let i = 0; i < granted; i++) this.log.push(now);
      this.sql.exec(
        'INSERT INTO hits (ts) SELECT ? FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT i FROM n)',
        now,
        granted,
      );
      // the alarm clears the log once every hit has left the window; moved later at most once a second
      if (this.alarmAt === null || this.alarmAt < now + windowMs) {
        this.alarmAt = now + windowMs + 1000;
        void this.ctx.storage.setAlarm(this.alarmAt);
      }
    }
    const used = count + Math.max(0, granted);
    return { allowed: true, limit, remaining: limit - used, retryAfterMs: 0, resetMs: (count ? oldest : now) + windowMs - now, granted: Math.max(0, granted) };
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
