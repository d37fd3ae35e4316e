// The durable webhook outbox: rows in D1, worked per endpoint by a WebhookOutbox Durable Object alarm.
// A row is claimed by pushing its due time out by a lease, so a crash mid-send retries it (same webhook-id).
import { eq, sql } from 'drizzle-orm';
import type { WebhookEvent } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import { getDb, type Db } from '../db/client.ts';
import { sha256Hex } from '../lib/secrets.ts';
import { webhookDeliveries } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { attemptDelivery, type AttemptResult } from './deliver.ts';
import { disableEndpoint, loadEndpoint, type Endpoint, type EndpointKey } from './endpoint.ts';
import { replyFor, routeReply } from './replies.ts';
import { MAX_ATTEMPTS, nextDelay } from './schedule.ts';
import { allowPrivateUrls } from '../../adapters/url-guard.ts';

export const LEASE_MS = 60_000;
const BATCH = 50;
const CONCURRENCY = 16;

export interface NewDelivery {
  id: string;
  userId: number;
  endpoint: EndpointKey;
  event: WebhookEvent;
  replyRoute?: ReplyRoute;
  /** `paused` when the endpoint is disabled (410): kept until its URL is saved again */
  status?: 'pending' | 'paused';
}

/** A delivery id derived from what caused it: the same cause never queues two deliveries. */
export async function deliveryIdFor(cause: string): Promise<string> {
  return `msg_${(await sha256Hex(cause)).slice(0, 32)}`;
}

/** The insert for one delivery (idempotent by id), to batch with the write that caused it. */
export function deliveryInsert(db: Db, d: NewDelivery, now = Date.now()) {
  return db
    .insert(webhookDeliveries)
    .values({
      id: d.id,
      userId: d.userId,
      endpoint: d.endpoint,
      event: d.event.event,
      payload: JSON.stringify(d.event),
      replyRoute: d.replyRoute ? JSON.stringify(d.replyRoute) : null,
      status: d.status ?? 'pending',
      nextAttemptAt: now,
    })
    .onConflictDoNothing();
}

/** Wakes the endpoint's outbox object; the cron sweep catches any kick that was lost. */
export async function kick(env: Bindings, endpoint: string, at?: number): Promise<void> {
  await env.WEBHOOK_OUTBOX.getByName(endpoint).kick(endpoint, at);
}

/**
 * Within this window after a kick, this isolate skips further kicks of the same endpoint: the object
 * looks again after any busy run (TAIL_CHECK_MS) and once the window of its last kick has passed.
 */
export const KICK_WINDOW_MS = 200;
export const TAIL_CHECK_MS = 500;
const recentKicks = new Map<string, number>();

/** A kick for a new row, skipped when this isolate woke the same endpoint a moment ago. */
export function kickSoon(env: Bindings, endpoint: string): Promise<void> {
  const now = Date.now();
  const last = recentKicks.get(endpoint);
  if (last !== undefined && now - last < KICK_WINDOW_MS) return Promise.resolve();
  recentKicks.set(endpoint, now);
  if (recentKicks.size > 10_000) recentKicks.clear();
  return kick(env, endpoint);
}

type Claimed = { id: string; event: string; payload: string; reply_route: string | null; attempts: number; replied_at: number | null };

async function claim(env: Bindings, endpoint: string, now: number): Promise<Claimed[]> {
  const res = await env.DB.prepare(
    `UPDATE webhook_deliveries SET next_attempt_at = ?1, attempts = attempts + 1
     WHERE id IN (SELECT id FROM webhook_deliveries WHERE endpoint = ?2 AND status = 'pending' AND next_attempt_at <= ?3
                  ORDER BY next_attempt_at LIMIT ?4)
     RETURNING id, event, payload, reply_route, attempts, replied_at`,
  )
    .bind(now + LEASE_MS, endpoint, now, BATCH)
    .all<Claimed>();
  return res.results;
}

async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

function outcome(db: Db, row: Claimed, result: AttemptResult, now: number) {
  const where = eq(webhookDeliveries.id, row.id);
  switch (result.kind) {
    case 'delivered':
      return db.update(webhookDeliveries).set({ status: 'delivered', deliveredAt: now, lastStatus: result.status, lastError: null }).where(where);
    case 'gone':
      return db.update(webhookDeliveries).set({ status: 'dead', lastStatus: 410, lastError: 'HTTP 410 Gone: endpoint disabled' }).where(where);
    case 'refused':
      return db.update(webhookDeliveries).set({ status: 'dead', lastStatus: null, lastError: result.error }).where(where);
    case 'failed': {
      const delay = nextDelay(row.attempts, result.retryAfterMs);
      return delay === null
        ? db.update(webhookDeliveries).set({ status: 'dead', lastStatus: result.status, lastError: `${result.error} (gave up after ${MAX_ATTEMPTS} attempts)` }).where(where)
        : db.update(webhookDeliveries).set({ nextAttemptAt: now + delay, lastStatus: result.status, lastError: result.error }).where(where);
    }
  }
}

/** Sends what is due for one endpoint until nothing is, or the deadline; answers when to come back. */
export async function workEndpoint(
  env: Bindings,
  endpoint: string,
  waitUntil: (p: Promise<unknown>) => void = () => {},
  deadline = Date.now() + 25_000,
): Promise<{ next: number | null; sent: number }> {
  const db = getDb(env.DB);
  let target: Endpoint | null | undefined;
  let sent = 0;
  while (Date.now() < deadline) {
    const rows = await claim(env, endpoint, Date.now());
    if (rows.length === 0) break;
    sent += rows.length;
    target ??= await loadEndpoint(env, endpoint);
    const ids = sql.join(rows.map((r) => sql`${r.id}`), sql`, `);
    if (!target?.url) {
      await db.run(sql`UPDATE webhook_deliveries SET status = 'dead', last_error = 'the endpoint has no webhook URL' WHERE id IN (${ids})`);
      continue;
    }
    if (target.disabled) {
      await db.run(sql`UPDATE webhook_deliveries SET status = 'paused', attempts = attempts - 1 WHERE id IN (${ids})`);
      continue;
    }
    const allowPrivate = allowPrivateUrls(env);
    const endpointNow = target;
    const results = await pool(rows, CONCURRENCY, (row) => attemptDelivery(endpointNow, row, { allowPrivate }));
    const now = Date.now();
    const [first, ...more] = rows.map((row, i) => outcome(db, row, results[i]!, now));
    await db.batch([first!, ...more]);
    if (results.some((r) => r.kind === 'gone')) {
      await disableEndpoint(db, target.key);
      target.disabled = true;
    }
    await Promise.all(
      rows.map(async (row, i) => {
        const text = row.replied_at === null && row.reply_route ? replyFor(row.event, row.attempts, results[i]!) : null;
        if (!text) return;
        // claim the reply first: a crash afterwards loses at most this one reply, never sends it twice
        const claimed = await env.DB.prepare('UPDATE webhook_deliveries SET replied_at = ? WHERE id = ? AND replied_at IS NULL').bind(Date.now(), row.id).run();
        if (claimed.meta.changes) await routeReply(env, { id: row.id, endpoint, replyRoute: row.reply_route }, text, waitUntil);
      }),
    );
  }
  const next = await env.DB.prepare(`SELECT min(next_attempt_at) AS next FROM webhook_deliveries WHERE endpoint = ? AND status = 'pending'`)
    .bind(endpoint)
    .first<{ next: number | null }>();
  return { next: next?.next ?? null, sent };
}

/** Cron: wake every endpoint whose due deliveries nobody is working (a lost kick, an evicted object). */
export async function sweepOverdue(env: Bindings, graceMs = 30_000): Promise<number> {
  const rows = await env.DB.prepare(`SELECT DISTINCT endpoint FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?`)
    .bind(Date.now() - graceMs)
    .all<{ endpoint: string }>();
  await Promise.all(rows.results.map((r) => kick(env, r.endpoint)));
  return rows.results.length;
}
