// API usage per key, route and day. Counts gather in the isolate and are written in one batch at
// most every FLUSH_MS, so counting costs the hot path no D1 write of its own.
import { sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { apiUsage } from '../db/schema.ts';

const FLUSH_MS = 1000;

interface Pending {
  userId: number;
  keyLabel: string;
  method: string;
  route: string;
  day: string;
  count: number;
}

const pending = new Map<string, Pending>();
let flushing: Promise<void> | undefined;
let lastFlush = 0;
let deferred: Promise<void> | undefined;

export function countUsage(row: Omit<Pending, 'count' | 'day'>): void {
  const day = new Date().toISOString().slice(0, 10);
  const key = `${row.userId}|${row.keyLabel}|${row.method}|${row.route}|${day}`;
  const entry = pending.get(key);
  if (entry) entry.count++;
  else pending.set(key, { ...row, day, count: 1 });
}

/** Writes what this isolate has counted; `force` skips the rate limit (reading usage flushes first). */
export async function flushUsage(d1: D1Database, force = false): Promise<void> {
  if (flushing) await flushing;
  if (!pending.size) return;
  const wait = force ? 0 : lastFlush + FLUSH_MS - Date.now();
  if (wait > 0) {
    // someone flushes within the window: this request's waitUntil waits for it rather than dropping its count
    if (deferred) return;
    deferred = new Promise<void>((r) => setTimeout(r, wait)).then(() => {
      deferred = undefined;
      return flushUsage(d1);
    });
    return deferred;
  }
  lastFlush = Date.now();
  const rows = [...pending.values()];
  pending.clear();
  const db = getDb(d1);
  const writes = rows.map((r) =>
    db
      .insert(apiUsage)
      .values(r)
      .onConflictDoUpdate({
        target: [apiUsage.userId, apiUsage.keyLabel, apiUsage.method, apiUsage.route, apiUsage.day],
        set: { count: sql`${apiUsage.count} + ${r.count}` },
      }),
  );
  flushing = db
    .batch(writes as [(typeof writes)[number], ...(typeof writes)[number][]])
    .then(() => undefined)
    .catch((err) => {
      // put them back: counted on the next flush
      for (const r of rows) {
        const key = `${r.userId}|${r.keyLabel}|${r.method}|${r.route}|${r.day}`;
        const entry = pending.get(key);
        if (entry) entry.count += r.count;
        else pending.set(key, r);
      }
      console.error('usage flush failed', err);
    })
    .finally(() => {
      flushing = undefined;
    });
  await flushing;
}
