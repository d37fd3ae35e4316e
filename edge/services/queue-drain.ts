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
  /** outcomes known whose record failed (their rows keep them): waiters hear of them now */
  onKnown(settled: Settled[]): void;
  /** asks the bridge holding the client (under its lease) */
  ask(op: Op, params: Record<string, unknown>): Promise<RawBridgeResult>;
}

/** What a round did: go again at once, wait until a time (and why), or nothing is queued. */
/** `next`: when to look again; a held number's `until`: when the hold ends (`next` may be sooner: an expiry) */
export type RoundResult = { next: 'again' } | { next: number; heldBy?: Exclude<Decision, { go: true }>['reason']; until?: number } | { next: null };

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

/**
 * A pause the owner was not told of yet: told now, and marked told. Asked again on every round while the
 * number is paused, so a webhook write that failed is not the end of it (its delivery id is the pause's).
 */
export async function announcePending(env: Bindings, db: Db, client: ClientRow, gate: Gate, waitUntil: (p: Promise<unknown>) => void) {
  const { pausedUntil, pauseReason, announced } = gate.state;
  if (pausedUntil === null || announced !== false) return;
  await announcePause(env, db, client, pausedUntil, pauseReason ?? 'WhatsApp refused sends', waitUntil);
  gate.state = { ...gate.state, announced: true };
  await gate.save(gate.state);
}

/** The number paused sending: its owner hears why and until when (a client_status webhook). */
async function announcePause(env: Bindings, db: Db, client: ClientRow, until: number, why: string, waitUntil: (p: Promise<unknown>) => void) {
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

/** A record that failed is tried again after this long, doubling with each try up to RECORD_RETRY_MAX_MS. */
export const RECORD_RETRY_MS = 5000;
const RECORD_RETRY_MAX_MS = 300_000;

/**
 * Records outcomes, then takes their rows out of the queue. If D1 refuses, each row is queued again with its
 * outcome kept: a later round records it as it was (never sent again, never reported expired or cancelled).
 */
async function record(d: DrainDeps, db: Db, client: ClientRow, settled: Settled[]): Promise<void> {
  try {
    await settle(d.env, db, client, settled, d.waitUntil);
  } catch (err) {
    keepOutcomes(d, settled, err);
    throw err;
  }
  d.store.remove(settled.map((s) => s.row.id));
  d.onSettled(settled);
}

/**
 * Outcomes D1 would not record (`err`): each row queued again keeping its outcome, tried again after
 * RECORD_RETRY_MS (a row that kept one already: doubling up to RECORD_RETRY_MAX_MS); waiters hear them now.
 */
export function keepOutcomes(d: Pick<DrainDeps, 'store' | 'onKnown'>, settled: Settled[], err: unknown): void {
  const why = { code: 'SETTLE_FAILED', message: err instanceof Error ? err.message : String(err) };
  const now = Date.now();
  for (const s of settled) {
    const wait = s.row.outcome ? Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_MS * 2 ** Math.min(s.row.attempts, 6)) : RECORD_RETRY_MS;
    d.store.retryAt(s.row.id, now + wait, why, { outcome: outcomeOf(s) });
  }
  d.onKnown(settled);
}

/** Messages whose time ran out while they waited: failed with the reason. */
async function expire(d: DrainDeps, db: Db, client: ClientRow, now: number): Promise<void> {
  const rows = d.store.expired(now);
  if (!rows.length) return;
  const settled: Settled[] = rows.map((row) => ({
    row,
    kind: 'failed',
    code: 'EXPIRED',
    message: `not sent within ${Math.round((row.expiresAt - row.createdAt) / 60_000)} min of being queued${row.lastError ? ` (last: ${row.lastError})` : ''}`,
    at: now,
  }));
  // if D1 refuses, they keep their EXPIRED outcome (recorded by a later round): the rest of the queue goes on
  await record(d, db, client, settled).catch((err: unknown) => console.error('send queue: expired messages are recorded later', err));
}

/**
 * Outcomes the bridge gave whose record failed, due again: recorded now (also while the number is paused).
 * One that fails again waits its backoff; it does not hold up the rest of the queue.
 */
async function recordKnown(d: DrainDeps, db: Db, client: ClientRow, now: number): Promise<boolean> {
  const known = d.store.known(now, ROUND).map((row): Settled => ({ row, ...row.outcome! }));
  if (!known.length) return false;
  try {
    await record(d, db, client, known);
    return true;
  } catch (err) {
    console.error('send queue: known outcomes still not recorded; tried again later', err);
  }
  // one D1 refuses for good must not hold the rest back: each alone (only the refused ones keep backing off)
  if (known.length > 1) for (const s of known) await record(d, db, client, [s]).catch(() => {});
  return false;
}

/**
 * When a number held until `until` (paused, or its interval) is looked at again: then, or sooner when a queued
 * message expires (it fails at its time, not at the hold's end) or a known outcome's record is due.
 */
function heldUntil(store: QueueStore, until: number): number {
  return Math.min(until, store.nextExpiryAt() ?? Number.POSITIVE_INFINITY, store.knownNextAt() ?? Number.POSITIVE_INFINITY);
}

export async function drainRound(d: DrainDeps): Promise<RoundResult> {
  const { env, store, gate } = d;
  const db = getDb(env.DB);
  const client = await clientByRef(db, d.clientRef);
  if (!client) {
    store.clear();
    return { next: null };
  }
  const now = Date.now();
  await expire(d, db, client, now);
  if (await recordKnown(d, db, client, now)) return { next: 'again' };
  if (gate.state.pausedUntil !== null && now < gate.state.pausedUntil) {
    await announcePending(env, db, client, gate, d.waitUntil);
    return { next: heldUntil(store, gate.state.pausedUntil), heldBy: 'paused', until: gate.state.pausedUntil };
  }
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
  try {
    return await sendAndSettle(d, db, client, rows, pacing, limit);
  } finally {
    // whatever failed on the way (a D1 read, the governor's save): nothing stays marked sending for the
    // rest of this object's life (settled and re-queued rows are out of flight already)
    store.release(ids);
  }
}

async function sendAndSettle(d: DrainDeps, db: Db, client: ClientRow, rows: QueuedRow[], pacing: boolean, limit: number): Promise<RoundResult> {
  const { env, store, gate } = d;
  const ids = rows.map((r) => r.id);
  let now = Date.now();
  let newContact = false;
  if (pacing) {
    newContact = gate.policy.newContactsPerDay !== null && (await isNewContact(env, d.clientRef, rows[0]!.send.to));
    const decision = decide(gate.policy, gate.state, { newContact }, now);
    if (!decision.go) {
      if (decision.reason !== 'new_contact_cap') return { next: heldUntil(store, decision.at), heldBy: decision.reason, until: decision.at };
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
      store.retryAt(row.id, now, outcome, { tried: false }); // held by the pause set below
    } else if (OUTAGE.has(outcome.code)) {
      // not the message's fault: its tries are not counted (they are for transient errors); the wait grows with
      // how long it has waited (1 s to OUTAGE_RETRY_MS), and a reconnect takes it up at once anyway
      store.retryAt(row.id, now + Math.min(OUTAGE_RETRY_MS, Math.max(1000, (now - row.createdAt) / 2)), outcome, { tried: false });
    } else if (TRANSIENT.has(outcome.code) && row.attempts + 1 < MAX_TRIES) {
      store.retryAt(row.id, now + 5000 * (row.attempts + 1), outcome);
    } else settled.push({ row, kind: 'failed', code: outcome.code, message: outcome.message, at: now });
  });
  // the governor's state first: a pause is kept even if what follows fails
  const tracked = pacing || gate.state.pauses > 0 || gate.state.pausedUntil !== null;
  if (anySent && tracked) gate.state = afterSend(gate.policy, gate.state, { newContact }, now);
  if (rateLimited !== null) gate.state = afterRateLimit(gate.policy, gate.state, now, rateLimited);
  if ((anySent && tracked) || rateLimited !== null)
    // kept in memory whatever storage says: the outcomes the bridge gave are recorded next, not dropped
    await gate.save(gate.state).catch((err: unknown) => console.error("send queue: the governor's state was not saved", err));
  try {
    await record(d, db, client, settled);
  } finally {
    // told even if recording failed (and if telling fails, the next round tells: see announcePending)
    await announcePending(env, db, client, gate, d.waitUntil);
  }
  if (rateLimited !== null) return { next: 'again' };
  // everything ready was taken: no second look now (one query less per round); the next is when the queue says,
  // or at once when a send was queued meanwhile (the hub's drain looks again then)
  if (rows.length < limit) return { next: store.counts().wakeAt };
  return { next: 'again' };
}
