// Scheduled messages coming due join their number's send queue: rows are claimed atomically with a lease
// (pending → sending), so overlapping runs never take the same row; each joins the queue under an id
// derived from the row (a re-claim after a crash enqueues the same message, not a second one), then the
// row is marked queued. From there the queue sends, paces and settles it (sent / failed with a reason).
import { getDb } from '../db/client.ts';
import type { Bindings } from '../env.ts';
import { clientByRef } from '../services/clients.ts';
import type { NewQueued } from '../services/queue-store.ts';
import { scheduledQueueId } from '../services/send-queue.ts';

export const LEASE_MS = 60_000;
/** A row whose claims keep lapsing (its dispatch crashes every time) is failed after this many, not retried forever. */
export const MAX_CLAIMS = 5;
const BATCH = 500;

type Row = { id: number; recipient: string; message: string; schedule_time: number; attempts: number };

export async function claimDue(env: Bindings, clientRef: number, now: number, limit = BATCH): Promise<Row[]> {
  const res = await env.DB.prepare(
    `UPDATE scheduled_messages SET status = 'sending', lease_until = ?3, attempts = attempts + 1
     WHERE id IN (SELECT id FROM scheduled_messages WHERE client_ref = ?1 AND (
       (status = 'pending' AND schedule_time <= ?2 AND coalesce(retry_at, 0) <= ?2) OR (status = 'sending' AND lease_until < ?2 AND attempts < ?5))
       ORDER BY schedule_time LIMIT ?4)
     RETURNING id, recipient, message, schedule_time, attempts`,
  )
    .bind(clientRef, now, now + LEASE_MS, limit, MAX_CLAIMS)
    .all<Row>();
  return res.results;
}

/** Rows whose every claim lapsed (a crash mid-dispatch each time): failed with the reason. */
export function failExhausted(env: Bindings, now: number, clientRef?: number): Promise<D1Result> {
  return env.DB.prepare(
    `UPDATE scheduled_messages SET status = 'failed', lease_until = NULL,
       failure_reason = 'DISPATCH_FAILED: ' || attempts || ' attempts did not complete' || coalesce(' (last: ' || failure_reason || ')', '')
     WHERE status = 'sending' AND lease_until < ?1 AND attempts >= ?2 AND (?3 IS NULL OR client_ref = ?3)`,
  )
    .bind(now, MAX_CLAIMS, clientRef ?? null)
    .run();
}

/** A full queue is looked at again this soon for room for the due messages that wait in D1. */
export const FULL_RETRY_MS = 10_000;

/**
 * Moves this client's due messages into its send queue (`add`: the queue of the object calling this; `room`:
 * how many more it takes — a full queue leaves them pending in D1, unclaimed, until it has room);
 * answers when the next one comes due (or null).
 */
export async function dispatchDue(
  env: Bindings,
  clientRef: number,
  add: (items: NewQueued[]) => number,
  room: () => number = () => BATCH,
  deadline = Date.now() + 20_000,
): Promise<number | null> {
  if (!(await clientByRef(getDb(env.DB), clientRef))) return null;
  await failExhausted(env, Date.now(), clientRef);
  while (Date.now() < deadline) {
    const space = Math.min(BATCH, room());
    if (space <= 0) return Date.now() + FULL_RETRY_MS;
    const rows = await claimDue(env, clientRef, Date.now(), space);
    if (!rows.length) break;
    add(
      rows.map((row) => ({
        id: scheduledQueueId(clientRef, row.id),
        send: { to: row.recipient.replace(/^\+/, ''), text: row.message, origin: 'scheduled', scheduledId: row.id },
        lane: 'bulk',
        notBefore: row.schedule_time,
      })),
    );
    // in the queue now: the row waits there (a crash before this line re-claims it into the same queue id)
    await env.DB.prepare(
      `UPDATE scheduled_messages SET status = 'queued', lease_until = NULL WHERE status = 'sending' AND id IN (SELECT value FROM json_each(?))`,
    )
      .bind(JSON.stringify(rows.map((r) => r.id)))
      .run();
  }
  const next = await env.DB.prepare(
    `SELECT min(t) AS next FROM (
       SELECT max(schedule_time, coalesce(retry_at, 0)) AS t FROM scheduled_messages WHERE client_ref = ?1 AND status = 'pending'
       UNION ALL SELECT lease_until FROM scheduled_messages WHERE client_ref = ?1 AND status = 'sending')`,
  )
    .bind(clientRef)
    .first<{ next: number | null }>();
  return next?.next ?? null;
}

/** Cron: hand every client with something due in the coming minute (or a lapsed lease) to its Durable Object. */
export async function sweepScheduled(env: Bindings, now = Date.now()): Promise<number> {
  await failExhausted(env, now);
  const rows = await env.DB.prepare(
    `SELECT client_ref, min(schedule_time) AS at FROM scheduled_messages
     WHERE (status = 'pending' AND schedule_time <= ?1) OR (status = 'sending' AND lease_until < ?2) GROUP BY client_ref`,
  )
    .bind(now + 60_000, now)
    .all<{ client_ref: number; at: number }>();
  await Promise.all(rows.results.map((r) => env.CLIENT_HUB.getByName(`client:${r.client_ref}`).schedule(r.client_ref, Math.max(r.at, now))));
  return rows.results.length;
}
