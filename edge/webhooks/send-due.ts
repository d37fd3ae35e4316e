// Sending the due webhook deliveries of one endpoint (rows in D1), run by its WebhookSender Durable
// Object's alarm. A row is claimed by pushing its due time out by a lease, so a crash mid-send retries it
// (same webhook-id).
import { eq, sql } from 'drizzle-orm';
import { asD1, getDb, type Db } from '../db/client.ts';
import { webhookDeliveries } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { attemptDelivery, type AttemptResult } from './deliver.ts';
import { wake } from './enqueue.ts';
import { disableEndpoint, loadEndpoint, type Endpoint } from './endpoint.ts';
import { replyFor, routeReply } from './replies.ts';
import { MAX_ATTEMPTS, nextDelay } from './retry-policy.ts';
import { allowPrivateUrls } from '../../adapters/url-guard.ts';

export const LEASE_MS = 60_000;
const BATCH = 50;
const CONCURRENCY = 16;

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

/** The write for an attempt that did not deliver (delivered ones are marked together in sendDue). */
function outcome(db: Db, row: Claimed, result: Exclude<AttemptResult, { kind: 'delivered' }>, now: number) {
  const where = eq(webhookDeliveries.id, row.id);
  switch (result.kind) {
    case 'gone':
      return db.update(webhookDeliveries).set({ status: 'dead', lastStatus: 410, lastError: 'HTTP 410 Gone: endpoint disabled' }).where(where);
    case 'refused':
      return db.update(webhookDeliveries).set({ status: 'dead', lastStatus: null, lastError: result.error }).where(where);
    case 'failed': {
      const delay = nextDelay(row.attempts, result.retryAfterMs);
      return delay === null
        ? db
            .update(webhookDeliveries)
            .set({ status: 'dead', lastStatus: result.status, lastError: `${result.error} (gave up after ${MAX_ATTEMPTS} attempts)` })
            .where(where)
        : db
            .update(webhookDeliveries)
            .set({ nextAttemptAt: now + delay, lastStatus: result.status, lastError: result.error })
            .where(where);
    }
  }
}

/** Sends what is due for one endpoint until nothing is, or the deadline; answers when to come back. */
export async function sendDue(
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
    const ids = sql.join(
      rows.map((r) => sql`${r.id}`),
      sql`, `,
    );
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
    // replies go before the outcomes are written, each under an id derived from its delivery (queued twice, it is
    // one message), and are marked replied with them: a crash before that batch retries the delivery, and with it
    // the reply. A reply that cannot be queued now (the number's object unreachable) fails its delivery for a retry.
    const replied: string[] = [];
    await Promise.all(
      rows.map(async (row, i) => {
        const text = row.replied_at === null && row.reply_route ? replyFor(row.event, results[i]!) : null;
        if (!text) return;
        try {
          await routeReply(env, { id: row.id, endpoint, replyRoute: row.reply_route, event: row.event }, text, waitUntil);
          replied.push(row.id);
        } catch (err) {
          const result = results[i]!;
          // tried again with the delivery (a gone or refused endpoint is not: it ends, and the reply with it)
          const again = result.kind === 'delivered' || result.kind === 'failed';
          console.error(`webhook delivery ${row.id}: queueing its reply failed${again ? '; the delivery goes again' : ''}`, err);
          if (again) results[i] = { kind: 'failed', status: result.status, error: 'its reply could not be queued; retrying', retryAfterMs: null };
        }
      }),
    );
    const now = Date.now();
    // the delivered ones (nearly all) in one statement per answer status; the rest one each
    const delivered = new Map<number, string[]>();
    const writes: D1PreparedStatement[] = [];
    rows.forEach((row, i) => {
      const result = results[i]!;
      if (result.kind === 'delivered') delivered.set(result.status, [...(delivered.get(result.status) ?? []), row.id]);
      else writes.push(asD1(env.DB, outcome(db, row, result, now)));
    });
    for (const [status, ids] of delivered)
      writes.push(
        env.DB.prepare(
          `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?1, last_status = ?2, last_error = NULL
           WHERE id IN (SELECT value FROM json_each(?3))`,
        ).bind(now, status, JSON.stringify(ids)),
      );
    if (replied.length)
      writes.push(
        env.DB.prepare('UPDATE webhook_deliveries SET replied_at = ?1 WHERE id IN (SELECT value FROM json_each(?2)) AND replied_at IS NULL').bind(
          now,
          JSON.stringify(replied),
        ),
      );
    await env.DB.batch(writes);
    if (results.some((r) => r.kind === 'gone')) {
      await disableEndpoint(db, target.key);
      target.disabled = true;
    }
  }
  const next = await env.DB.prepare(`SELECT min(next_attempt_at) AS next FROM webhook_deliveries WHERE endpoint = ? AND status = 'pending'`)
    .bind(endpoint)
    .first<{ next: number | null }>();
  return { next: next?.next ?? null, sent };
}

/** Cron: wake every endpoint whose due deliveries nobody is working (a lost wake-up, an evicted object). */
export async function sweepOverdue(env: Bindings, graceMs = 30_000): Promise<number> {
  const rows = await env.DB.prepare(`SELECT DISTINCT endpoint FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?`)
    .bind(Date.now() - graceMs)
    .all<{ endpoint: string }>();
  await Promise.all(rows.results.map((r) => wake(env, r.endpoint)));
  return rows.results.length;
}
