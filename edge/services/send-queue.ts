// Every send enters its number's queue (its ClientHub object): the answer is durable when it comes,
// carries the queue id (the message's id everywhere: API, webhooks, the bridge's send key) and, with a
// wait, the outcome if it came first.
import { and, eq } from 'drizzle-orm';
import { type Db, getDb } from '../db/client.ts';
import { sentMessages } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { sha256Hex } from '../lib/secrets.ts';
import type { EnqueueResult } from '../objects/contracts.ts';
import { bridgeError, hubFor } from './bridge-commands.ts';
import type { ClientRow } from './clients.ts';
import type { Lane, QueuedRow, QueuedSend } from './queue-store.ts';
import { settle } from './queue-settle.ts';

const ID = /^q([0-9a-z]{1,12})_([A-Za-z0-9]{2,64})$/;

export const queueId = (clientRef: number, suffix: string) => `q${clientRef.toString(36)}_${suffix}`;

/** A fresh id; with an Idempotency-Key, the same id for every retry of the request. */
export async function newQueueId(clientRef: number, idempotency?: { userId: number; key: string; request: unknown }): Promise<string> {
  if (idempotency) return derivedQueueId(clientRef, 'k', `${idempotency.userId}:${idempotency.key}:${JSON.stringify(idempotency.request)}`);
  return queueId(clientRef, `r${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`);
}

/** An id derived from what caused the send (a webhook delivery, a call): caused twice, it is one message. */
export async function derivedQueueId(clientRef: number, tag: string, cause: string): Promise<string> {
  return queueId(clientRef, `${tag}${(await sha256Hex(cause)).slice(0, 40)}`);
}

/** The scheduled message's queue id: a re-claimed row enqueues the same message, not a second one. */
export const scheduledQueueId = (clientRef: number, scheduledId: number) => queueId(clientRef, `s${scheduledId}`);

/** The client a message id belongs to (null: not one of ours). */
export function clientRefOf(id: string): number | null {
  const m = ID.exec(id);
  const ref = m ? Number.parseInt(m[1]!, 36) : Number.NaN;
  return Number.isSafeInteger(ref) && ref > 0 ? ref : null;
}

export interface QueueOptions {
  id?: string;
  lane: Lane;
  /** not before this many ms from now (the group delay) */
  delayMs?: number;
  /** answer with the outcome if it comes within this many ms */
  waitMs?: number;
  /** `id` was made by newQueueId without a key (see NewQueued.minted); an id made here always is */
  minted?: boolean;
}

export async function queueSend(env: Bindings, client: ClientRow, send: QueuedSend, opts: QueueOptions): Promise<EnqueueResult> {
  const id = opts.id ?? (await newQueueId(client.id));
  const minted = opts.id === undefined || opts.minted === true;
  const [result] = await hubFor(env, client.id).enqueue(
    client.id,
    [{ id, send, lane: opts.lane, notBefore: Date.now() + (opts.delayMs ?? 0), ...(minted ? { minted } : {}) }],
    opts.waitMs ?? 0,
  );
  if (result?.status === 'refused') throwIfFailed(result);
  return result ?? { id, status: 'queued' };
}

/** The D1 read of a send's outcome (see outcomeFrom): a query that may also join another's batch. */
export const recordedQuery = (db: Db, clientRef: number, id: string) =>
  db
    .select({ status: sentMessages.status, messageId: sentMessages.messageId, error: sentMessages.error, sentAt: sentMessages.sentAt })
    .from(sentMessages)
    .where(and(eq(sentMessages.clientRef, clientRef), eq(sentMessages.queueId, id)));

/** A send's outcome from its recordedQuery rows, or null if D1 has none. */
export function outcomeFrom(id: string, rows: Awaited<ReturnType<typeof recordedQuery>>): EnqueueResult | null {
  const [row] = rows;
  if (!row) return null;
  // failed after it went (WhatsApp refused it later): the request itself was answered sent, and so is its retry
  if ((row.status === 'failed' || row.status === 'cancelled') && row.messageId === null) {
    const error = row.error ?? '';
    const colon = error.indexOf(': ');
    return {
      id,
      status: row.status,
      code: colon > 0 ? error.slice(0, colon) : 'FAILED',
      error: colon > 0 ? error.slice(colon + 2) : error,
      timestamp: row.sentAt,
    };
  }
  return { id, status: 'sent', ...(row.messageId ? { messageId: row.messageId } : {}), timestamp: row.sentAt };
}

/** A send's outcome as D1 keeps it (its queue row is gone then), or null if it has none there. */
export async function recordedOutcome(env: Bindings, clientRef: number, id: string): Promise<EnqueueResult | null> {
  return outcomeFrom(id, await recordedQuery(getDb(env.DB), clientRef, id));
}

/** For callers that want it sent or an error: a failed outcome thrown as the API answers that refusal. */
export function throwIfFailed(result: EnqueueResult): EnqueueResult {
  if (result.status === 'refused') throw new ApiError(429, result.code ?? 'QUEUE_FULL', result.error ?? 'The send queue is full', { 'Retry-After': '60' });
  if (result.status === 'failed') throw bridgeError({ ok: false, code: result.code ?? 'SEND_FAILED', message: result.error ?? 'The message was not sent' });
  if (result.status === 'cancelled') throw new ApiError(409, 'CANCELLED', 'The message was cancelled before it was sent');
  return result;
}

/**
 * A send the system makes (a webhook's reply, a call's rejection text), queued ahead of bulk under an id
 * derived from its cause (asked twice — while queued or after it settled — it is one message). A refusal (the queue is full) is its outcome: a
 * failed sent message and a message_failed webhook. Anything else throws, for the caller to try again.
 */
export async function queueSystemSend(env: Bindings, client: ClientRow, send: QueuedSend, id: string, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  // already settled (its cause offered again after the queue row went): not sent a second time. Its outcome is
  // written before its queue row is deleted, so one or the other always knows the id.
  if (await recordedOutcome(env, client.id, id)) return;
  try {
    await queueSend(env, client, send, { lane: 'interactive', id });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 429) throw err;
    const now = Date.now();
    const row: QueuedRow = {
      id,
      send,
      lane: 'interactive',
      state: 'queued',
      notBefore: now,
      expiresAt: now,
      createdAt: now,
      attempts: 0,
      lastError: null,
      lastCode: null,
      outcome: null,
    };
    await settle(env, getDb(env.DB), client, [{ row, kind: 'failed', code: err.code, message: err.message, at: now }], waitUntil);
  }
}
