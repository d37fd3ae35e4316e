// One round of a number's send queue: take what may go now (the governor decides for a paced number;
// an unpaced one sends everything ready in one round trip), send it under its queue id as the bridge's
// key, and settle each outcome: sent or failed in D1 (then the row is deleted), or queued again when the
// bridge or session is down (an outage is waited out until the message expires) or WhatsApp paused the number.
import { checkResult, type Op, type RawBridgeResult, type SendOutcome, type SendParams } from '../../adapters/protocol.ts';
import { type Db, getDb } from '../db/client.ts';
import type { Bindings } from '../env.ts';
import { clientEventWrites, wakeForEvent } from '../webhooks/enqueue.ts';
import { isPrivateChat } from './chat-summary.ts';
import { type ClientRow, clientByRef } from './clients.ts';
import { afterRateLimit, afterSend, decide, type Decision, type Gate, paced } from './governor.ts';
import { outcomeOf, type Settled, settle } from './queue-settle.ts';
import type { QueuedRow, QueueStore } from './queue-store.ts';
import { chatIdOf } from '../../adapters/protocol.ts';

/** Refusals that mean "not now": the bridge or the session is down. Waited out until the message expires. */
export const OUTAGE_CODES = ['BRIDGE_UNAVAILABLE', 'SESSION_NOT_CONNECTED', 'SESSION_NOT_FOUND', 'NOT_HOLDER'] as const;
const OUTAGE = new Set<string>(OUTAGE_CODES);
/** Refusals worth a few more tries (the bridge answered late or broke); after MAX_TRIES the message fails. */
const TRANSIENT = new Set(['BRIDGE_TIMEOUT', 'BRIDGE_ERROR']);
export const MAX_TRIES = 5;
/** An outage is looked at again at least this often (a reconnect wakes the queue at once anyway). */
export const OUTAGE_RETRY_MS = 30_000;
/** The code of a message held for the day's new-contact cap (it waits for the cap to renew, not its turn). */
export const CAPPED = 'NEW_CONTACT_CAP';
/** Messages one round sends in one round trip (unpaced numbers). */
export const ROUND = 100;

export interface DrainDeps {
  env: Bindings;
  clientRef: number;
  store: QueueStore;
  gate: Gate;
  waitUntil: (p: Promise<unknown>) => void;
  /** outcomes recorded in D1 (their rows are gone from the queue): waiters and live sockets hear of them */
  onSettled(settled: Settled[]): void;
  /** asks the bridge holding the client (under its lease) */
  ask(op: Op, params: Record<string, unknown>): Promise<RawBridgeResult>;
}

/** What a round did: go again at once, wait until a time (and why), or nothing is queued. */
export type RoundResult = { next: 'again' } | { next: number; heldBy?: Exclude<Decision, { go: true }>['reason'] } | { next: null };

/** A number that never wrote to this client and was never sent to by it. */
async function isNewContact(env: Bindings, clientRef: number, to: string): Promise<boolean> {
  const chatId = chatIdOf(to);
  if (!isPrivateChat(chatId)) return false;
  const number = chatId.replace(/@c\.us$/, '');
  const seen = await env.DB.prepare(
    `SELECT 1 FROM received_messages WHERE client_ref = ?1 AND chat_id = ?3
     UNION ALL SELECT 1 FROM sent_messages WHERE client_ref = ?1 AND recipient IN (?2, '+' || ?2) AND status NOT IN ('failed', 'cancelled') LIMIT 1`,
  )
    .bind(clientRef, number, chatId)
    .first();
  return !seen;
}

const paramsOf = (row: QueuedRow): SendParams => {
  const { origin: _origin, scheduledId: _scheduledId, fallback: _fallback, ...params } = row.send;
  return { ...params, key: row.id };
};

/** Sends rows through the bridge holding the client: one `send`, or one `sendBatch` for many. */
async function sendRows(ask: DrainDeps['ask'], rows: QueuedRow[]): Promise<SendOutcome[]> {
  try {
    if (rows.length === 1) {
      const one = checkResult('send', await ask('send', paramsOf(rows[0]!)));
      return [one.ok ? { ok: true, ...one.result } : { ok: false, code: one.code, message: one.message }];
    }
    const many = checkResult('sendBatch', await ask('sendBatch', { items: rows.map(paramsOf) }));
    if (!many.ok) return rows.map(() => ({ ok: false as const, code: many.code, message: many.message }));
    return rows.map((_, i) => many.result[i] ?? { ok: false as const, code: 'BRIDGE_PROTOCOL_ERROR', message: 'no answer for this item' });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return rows.map(() => ({ ok: false as const, code: 'BRIDGE_ERROR', message }));
  }
}

/** The number paused sending: its owner hears why and until when (a client_status webhook). */
export async function announcePause(env: Bindings, db: Db, client: ClientRow, until: number, why: string, waitUntil: (p: Promise<unknown>) => void) {
  const reason = `sending paused until ${new Date(until).toISOString()}: ${why}`;
  const writes = await clientEventWrites(
    db,
    client,
    {
      event: 'client_status',
      data: { clientId: client.clientId, status: client.status, connectedNumber: client.connectedNumber, reason, timestamp: Date.now(), type: 'client_status' },
    },
    `paused:${until}`,
  );
  const [first, ...more] = writes;
  if (!first) return;
  await db.batch([first, ...more]);
  wakeForEvent(env, client, 'client_status', waitUntil);
}

/**
 * Records outcomes, then takes their rows out of the queue. If D1 refuses, each row is queued again with its
 * outcome kept: the next round records it as it was (never sent again, never reported expired).
 */
async function record(d: DrainDeps, db: Db, client: ClientRow, settled: Settled[]): Promise<void> {
  try {
    await settle(d.env, db, client, settled, d.waitUntil);
  } catch (err) {
    const why = { code: 'SETTLE_FAILED', message: err instanceof Error ? err.message : String(err) };
    for (const s of settled) d.store.retryAt(s.row.id, Date.now() + 5000, why, { tried: false, outcome: outcomeOf(s) });
    throw err;
  }
  d.store.remove(settled.map((s) => s.row.id));
  d.onSettled(settled);
}

/** Messages whose time ran out while they waited: failed with the reason (one whose outcome is known: that). */
async function expire(d: DrainDeps, db: Db, client: ClientRow, now: number): Promise<void> {
  const rows = d.store.expired(now);
  if (!rows.length) return;
  const settled: Settled[] = rows.map((row) =>
    row.outcome
      ? { row, ...row.outcome }
      : {
          row,
          kind: 'failed',
          code: 'EXPIRED',
          message: `not sent within ${Math.round((row.expiresAt - row.createdAt) / 60_000)} min of being queued${row.lastError ? ` (last: ${row.lastError})` : ''}`,
          at: now,
        },
  );
  await record(d, db, client, settled);
}

export async function drainRound(d: DrainDeps): Promise<RoundResult> {
  const { env, store, gate } = d;
  const db = getDb(env.DB);
  const client = await clientByRef(db, d.clientRef);
  if (!client) {
    store.clear();
    return { next: null };
  }
  let now = Date.now();
  await expire(d, db, client, now);
  if (gate.state.pausedUntil !== null && now < gate.state.pausedUntil) return { next: gate.state.pausedUntil, heldBy: 'paused' };
  const pacing = paced(gate.policy);
  const limit = pacing ? 1 : ROUND;
  const rows = store.ready(now, limit);
  if (!rows.length) {
    const next = store.counts().wakeAt;
    return next !== null && store.nextCode() === CAPPED ? { next, heldBy: 'new_contact_cap' } : { next };
  }
  // taken before anything is awaited: a cancel from here on sees them sending, never sends a cancelled one
  const ids = rows.map((r) => r.id);
  store.startSending(ids);
  // outcomes the bridge gave whose recording failed: recorded now, not sent again
  const known = rows.flatMap((row) => (row.outcome ? [{ row, ...row.outcome }] : []));
  if (known.length) {
    store.release(ids.filter((id) => !known.some((k) => k.row.id === id)));
    await record(d, db, client, known);
    return { next: 'again' };
  }
  let newContact = false;
  if (pacing) {
    newContact = gate.policy.newContactsPerDay !== null && (await isNewContact(env, d.clientRef, rows[0]!.send.to));
    const decision = decide(gate.policy, gate.state, { newContact }, now);
    if (!decision.go) {
      store.release(ids);
      if (decision.reason !== 'new_contact_cap') return { next: decision.at, heldBy: decision.reason };
      // only this message waits for the cap to renew: those behind it (to known contacts) may go meanwhile
      const message = `the day's first messages to new contacts reached the number's cap; it goes from ${new Date(decision.at).toISOString()}`;
      store.retryAt(ids[0]!, decision.at, { code: CAPPED, message }, { tried: false });
      return { next: 'again' };
    }
  }
  const outcomes = await sendRows(d.ask, rows);
  now = Date.now();
  const settled: Settled[] = [];
  let rateLimited: string | null = null;
  let anySent = false;
  rows.forEach((row, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) {
      anySent = true;
      settled.push({ row, kind: 'sent', messageId: outcome.messageId, timestamp: outcome.timestamp });
    } else if (outcome.code === 'WHATSAPP_RATE_LIMIT') {
      rateLimited ??= outcome.message;
      store.retryAt(row.id, now, outcome); // held by the pause set below
    } else if (OUTAGE.has(outcome.code) || (TRANSIENT.has(outcome.code) && row.attempts + 1 < MAX_TRIES)) {
      const wait = OUTAGE.has(outcome.code) ? Math.min(OUTAGE_RETRY_MS, 1000 * 2 ** Math.min(row.attempts, 5)) : 5000 * (row.attempts + 1);
      store.retryAt(row.id, now + wait, outcome);
    } else settled.push({ row, kind: 'failed', code: outcome.code, message: outcome.message, at: now });
  });
  // the governor's state first: a pause is kept even if what follows fails
  const tracked = pacing || gate.state.pauses > 0 || gate.state.pausedUntil !== null;
  if (anySent && tracked) gate.state = afterSend(gate.policy, gate.state, { newContact }, now);
  if (rateLimited !== null) gate.state = afterRateLimit(gate.policy, gate.state, now, rateLimited);
  if ((anySent && tracked) || rateLimited !== null) await gate.save(gate.state);
  await record(d, db, client, settled);
  if (rateLimited !== null) {
    await announcePause(env, db, client, gate.state.pausedUntil!, rateLimited, d.waitUntil);
    return { next: 'again' };
  }
  // everything ready was taken: no second look now (one query less per round); the next is when the queue says,
  // or at once when a send was queued meanwhile (the hub's drain looks again then)
  if (rows.length < limit) return { next: store.counts().wakeAt };
  return { next: 'again' };
}
