// Sending what is due for one client: rows are claimed atomically with a lease (pending → sending), so
// overlapping runs never take the same row and a crash mid-send lets the row be claimed again; the
// bridge keys each send by the row, so a re-claimed row is never sent twice. Bridge or session down:
// retried every RETRY_MS until DEADLINE_MS after its time, then failed with the reason.
import { eq } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { clients } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import type { SendOutcome } from '../../adapters/protocol.ts';
import { afterRateLimit, afterSend, decide, type GovernorPolicy, type GovernorState } from '../services/governor.ts';
import { sendBatchThroughClient } from '../services/messaging.ts';
import { clientDelivery, wakeClientEndpoint } from '../webhooks/enqueue.ts';

export const LEASE_MS = 60_000;
export const RETRY_MS = 10_000;
export const DEADLINE_MS = 15 * 60_000;
/** A row whose claims keep lapsing (its dispatch crashes every time) is failed after this many, not retried forever. */
export const MAX_CLAIMS = 5;
const BATCH = 100;

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

/** The row's next state after its send: sent, retried later (bridge or session down), or failed. */
function settlement(env: Bindings, row: Row, outcome: SendOutcome, now: number): D1PreparedStatement {
  if (outcome.ok) {
    return env.DB.prepare(
      `UPDATE scheduled_messages SET status = 'sent', sent_at = ?, message_id = ?, lease_until = NULL, failure_reason = NULL WHERE id = ? AND status = 'sending'`,
    ).bind(outcome.timestamp, outcome.messageId, row.id);
  }
  const reason = `${outcome.code}: ${outcome.message}`;
  if (RETRYABLE.has(outcome.code) && now + RETRY_MS < row.schedule_time + DEADLINE_MS) {
    return env.DB.prepare(
      `UPDATE scheduled_messages SET status = 'pending', retry_at = ?, lease_until = NULL, failure_reason = ? WHERE id = ? AND status = 'sending'`,
    ).bind(now + RETRY_MS, reason, row.id);
  }
  return env.DB.prepare(`UPDATE scheduled_messages SET status = 'failed', lease_until = NULL, failure_reason = ? WHERE id = ? AND status = 'sending'`).bind(
    reason,
    row.id,
  );
}

/** Failures worth another try: the bridge or the session is down or slow. */
const RETRYABLE = new Set([
  'BRIDGE_UNAVAILABLE',
  'BRIDGE_TIMEOUT',
  'SESSION_NOT_CONNECTED',
  'SESSION_NOT_FOUND',
  'WHATSAPP_ERROR',
  'WHATSAPP_RATE_LIMIT',
  'BRIDGE_ERROR',
]);

/** The number's governor, as its Durable Object keeps it: the policy and state it paces sends by. */
export interface Gate {
  policy: GovernorPolicy;
  state: GovernorState;
  save(state: GovernorState): Promise<void>;
}

const paced = (p: GovernorPolicy) => p.minIntervalMs + p.jitterMs > 0 || p.newContactsPerDay !== null;

/** A number that never wrote to this client and was never sent to by it. */
async function isNewContact(env: Bindings, clientRef: number, number: string): Promise<boolean> {
  const seen = await env.DB.prepare(
    `SELECT 1 FROM received_messages WHERE client_ref = ?1 AND chat_id = ?2 || '@c.us'
     UNION ALL SELECT 1 FROM sent_messages WHERE client_ref = ?1 AND recipient = ?2 AND status <> 'failed' LIMIT 1`,
  )
    .bind(clientRef, number)
    .first();
  return !seen;
}

/**
 * Sends this client's due messages; answers when something is next due (or null). With a paced
 * governor (a real number) one message goes at a time, when the governor lets it; unpaced, a claimed
 * batch goes in one round trip.
 */
export async function dispatchDue(
  env: Bindings,
  clientRef: number,
  waitUntil: (p: Promise<unknown>) => void,
  deadline = Date.now() + 25_000,
  gate?: Gate,
): Promise<number | null> {
  const [client] = await getDb(env.DB).select().from(clients).where(eq(clients.id, clientRef)).limit(1);
  if (!client) return null;
  await failExhausted(env, Date.now(), clientRef);
  const pacing = gate && paced(gate.policy) ? gate : undefined;
  while (Date.now() < deadline) {
    if (pacing) {
      const held = await sendOnePaced(env, client, pacing, waitUntil);
      if (held === 'none') break;
      if (typeof held === 'number') return held; // the governor says when
      continue;
    }
    const rows = await claimDue(env, clientRef, Date.now());
    if (!rows.length) break;
    // one round trip to the bridge for the whole batch; each row keyed so a re-claim never sends twice
    const items = rows.map((row) => ({ to: row.recipient.replace(/^\+/, ''), text: row.message, key: `scheduled:${row.id}` }));
    const outcomes = await sendBatchThroughClient(env, client, items, waitUntil).catch((err: unknown) =>
      items.map(() => ({ ok: false as const, code: err instanceof ApiError ? err.code : 'INTERNAL_ERROR', message: (err as Error)?.message ?? String(err) })),
    );
    const now = Date.now();
    await env.DB.batch(rows.map((row, i) => settlement(env, row, outcomes[i]!, now)));
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

/** The number paused sending: its owner hears why and until when (a client_status webhook). */
async function announcePause(env: Bindings, client: typeof clients.$inferSelect, until: number, why: string, waitUntil: (p: Promise<unknown>) => void) {
  const db = getDb(env.DB);
  const reason = `sending paused until ${new Date(until).toISOString()}: ${why}`;
  const delivery = await clientDelivery(
    db,
    client,
    {
      event: 'client_status',
      data: { clientId: client.clientId, status: client.status, connectedNumber: client.connectedNumber, reason, timestamp: Date.now(), type: 'client_status' },
    },
    `paused:${until}`,
  );
  if (!delivery) return;
  await delivery.insert;
  wakeClientEndpoint(env, client, waitUntil);
}

/** One due message through the governor: 'sent' (or settled), 'none' due, or when the governor lets the next go. */
async function sendOnePaced(
  env: Bindings,
  client: typeof clients.$inferSelect,
  gate: Gate,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<'sent' | 'none' | number> {
  const next = await env.DB.prepare(
    `SELECT recipient FROM scheduled_messages WHERE client_ref = ?1 AND status = 'pending' AND schedule_time <= ?2 AND coalesce(retry_at, 0) <= ?2
     ORDER BY schedule_time LIMIT 1`,
  )
    .bind(client.id, Date.now())
    .first<{ recipient: string }>();
  if (!next) return 'none';
  const number = next.recipient.replace(/^\+/, '');
  const newContact = await isNewContact(env, client.id, number);
  const decision = decide(gate.policy, gate.state, { newContact }, Date.now());
  if (!decision.go) return decision.at;
  const [row] = await claimDue(env, client.id, Date.now(), 1);
  if (!row) return 'none';
  const [outcome] = await sendBatchThroughClient(
    env,
    client,
    [{ to: row.recipient.replace(/^\+/, ''), text: row.message, key: `scheduled:${row.id}` }],
    waitUntil,
  ).catch((err: unknown) => [
    { ok: false as const, code: err instanceof ApiError ? err.code : 'INTERNAL_ERROR', message: (err as Error)?.message ?? String(err) },
  ]);
  const now = Date.now();
  await env.DB.batch([settlement(env, row, outcome!, now)]);
  if (outcome?.ok) gate.state = afterSend(gate.policy, gate.state, { newContact }, now);
  else if (outcome?.code === 'WHATSAPP_RATE_LIMIT') {
    gate.state = afterRateLimit(gate.policy, gate.state, now);
    await announcePause(env, client, gate.state.pausedUntil!, outcome.message, waitUntil);
  }
  await gate.save(gate.state);
  return 'sent';
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
