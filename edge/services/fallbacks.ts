// WhatsApp → SMS fallback. A send that asks for it (`fallback: {channel: "sms", afterSeconds}`) records
// its text here; the client's hub looks at it when it comes due (its alarm) or as soon as the WhatsApp
// send failed: not delivered on WhatsApp (ack < 2) by then, the text goes out as an SMS through a device
// (`fallbackOf` names the WhatsApp message in the SMS and its `sms_status` events). Each is decided once.
import { ApiError } from '../lib/errors.ts';
import type { Bindings } from '../env.ts';
import type { CancelResult } from '../objects/contracts.ts';
import { queueSms, wakeDevice } from './sms-sends.ts';

export interface FallbackRequest {
  channel: 'sms';
  afterSeconds: number;
  deviceId?: string;
}

/** Recorded before the send is queued (a retry with the same id records nothing new). */
export async function recordFallback(
  env: Bindings,
  f: { queueId: string; clientRef: number; userId: number; to: string; text: string; request: FallbackRequest },
): Promise<number> {
  const dueAt = Date.now() + f.request.afterSeconds * 1000;
  // recorded once: a retried request gets the due time recorded first
  const row = await env.DB.prepare(
    `INSERT INTO send_fallbacks (queue_id, client_ref, user_id, "to", text, device_id, due_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (queue_id) DO UPDATE SET due_at = send_fallbacks.due_at RETURNING due_at`,
  )
    .bind(f.queueId, f.clientRef, f.userId, f.to, f.text, f.request.deviceId ?? null, dueAt)
    .first<{ due_at: number }>();
  return row?.due_at ?? dueAt;
}

/** The send it waits on was never queued: nothing to fall back from. */
export async function forgetFallback(env: Bindings, queueId: string): Promise<void> {
  await env.DB.prepare('DELETE FROM send_fallbacks WHERE queue_id = ? AND done_at IS NULL').bind(queueId).run();
}

/** A phone number an SMS can go to (a group or a LID cannot take an SMS). */
const smsNumber = (to: string): string | null => {
  const digits = to.replace(/@c\.us$|@s\.whatsapp\.net$/, '').replace(/^\+/, '');
  return /^\d{6,15}$/.test(digits) ? `+${digits}` : null;
};

/** The code a WhatsApp message cancelled for its SMS fallback is recorded with (not CANCELLED: that is its owner's). */
export const FALLBACK_CANCEL = 'FALLBACK_SMS';

/** How a cancel is recorded, by the code it was marked with: one made for its SMS fallback, else its owner's. */
export const cancelCause = (markedWith: string | null): { code: string; message: string } =>
  markedWith === FALLBACK_CANCEL
    ? { code: FALLBACK_CANCEL, message: 'not sent in time: its SMS fallback goes instead' }
    : { code: 'CANCELLED', message: 'cancelled before it was sent' };

/**
 * The client's fallbacks that are due, or whose WhatsApp send failed: each decided (WhatsApp delivered it,
 * or an SMS goes). Answers when the next one comes due (null: none waiting).
 */
export async function runFallbacks(
  env: Bindings,
  clientRef: number,
  /** a message still in the number's queue is cancelled (it did not get out in time): 'missing' when it was never there */
  cancelQueued: (queueId: string, forFallback: true) => Promise<CancelResult>,
  now = Date.now(),
): Promise<number | null> {
  const { results } = await env.DB.prepare(
    `SELECT f.queue_id, f.user_id, f."to", f.text, f.device_id,
       CASE WHEN s.status = 'cancelled' AND s.error LIKE '${FALLBACK_CANCEL}:%' THEN 'cancelled for its fallback' ELSE s.status END AS status
     FROM send_fallbacks f LEFT JOIN sent_messages s ON s.client_ref = f.client_ref AND s.queue_id = f.queue_id
     WHERE f.client_ref = ?1 AND f.done_at IS NULL AND (f.due_at <= ?2 OR s.status = 'failed') LIMIT 20`,
  )
    .bind(clientRef, now)
    .all<{ queue_id: string; user_id: number; to: string; text: string; device_id: string | null; status: string | null }>();
  for (const f of results) {
    /** Decides it, once: false when another run already did (or is doing) it. */
    const decide = async (outcome: string, error: string | null = null) =>
      ((
        await env.DB.prepare('UPDATE send_fallbacks SET done_at = ?, outcome = ?, error = ? WHERE queue_id = ? AND done_at IS NULL')
          .bind(now, outcome, error, f.queue_id)
          .run()
      ).meta.changes ?? 0) > 0;
    try {
      if (f.status === 'delivered' || f.status === 'read' || f.status === 'played') {
        await decide('whatsapp');
        continue;
      }
      // cancelled by its owner (one cancelled here for this fallback goes on to its SMS)
      if (f.status === 'cancelled') {
        await decide('none');
        continue;
      }
      if (f.status === null) {
        // not settled: still in the queue (an outage) — it is cancelled and the SMS goes instead — or never queued
        const queued = await cancelQueued(f.queue_id, true);
        // leaving right now, or left and its record waits: looked at again on the next alarm
        if (queued === 'sending' || queued === 'settling') continue;
        if (queued === 'missing') {
          // settled between the read and now: decided on the next alarm, with its outcome
          const settledNow = await env.DB.prepare('SELECT 1 FROM sent_messages WHERE client_ref = ? AND queue_id = ?').bind(clientRef, f.queue_id).first();
          if (!settledNow) await decide('none', 'the WhatsApp message was never queued');
          continue;
        }
      }
      const to = smsNumber(f.to);
      if (!to) {
        await decide('failed', 'the recipient is not a phone number (a group or a LID cannot take an SMS)');
        continue;
      }
      // claimed before the SMS is queued: a crash in between loses this SMS rather than sending it twice
      if (!(await decide('sms'))) continue;
      try {
        const sms = await queueSms(env, f.user_id, { to, message: f.text, ...(f.device_id ? { deviceId: f.device_id } : {}) }, { fallbackOf: f.queue_id });
        await env.DB.prepare('UPDATE send_fallbacks SET sms_id = ? WHERE queue_id = ?').bind(sms.id, f.queue_id).run();
        await wakeDevice(env, sms.deviceId);
      } catch (err) {
        const why = err instanceof ApiError ? `${err.code}: ${err.message}` : `the SMS could not be queued: ${String(err)}`;
        await env.DB.prepare("UPDATE send_fallbacks SET outcome = 'failed', error = ? WHERE queue_id = ?").bind(why, f.queue_id).run();
      }
    } catch (err) {
      console.error(`fallback of ${f.queue_id} failed; tried again on the next alarm`, err); // one row never holds back the rest
    }
  }
  const next = await env.DB.prepare('SELECT min(due_at) AS at FROM send_fallbacks WHERE client_ref = ? AND done_at IS NULL')
    .bind(clientRef)
    .first<{ at: number | null }>();
  // one that could not be decided yet (its message leaving right now) is looked at again in 5 s, not in a loop
  return next?.at == null ? null : Math.max(next.at, now + 5_000);
}

/** What became of a message's fallback, for GET /api/messages/{id} (null: it asked for none). */
export async function fallbackOf(env: Bindings, queueId: string) {
  const row = await env.DB.prepare('SELECT due_at, done_at, outcome, sms_id, error FROM send_fallbacks WHERE queue_id = ?')
    .bind(queueId)
    .first<{ due_at: number; done_at: number | null; outcome: string | null; sms_id: string | null; error: string | null }>();
  if (!row) return null;
  return {
    channel: 'sms' as const,
    dueAt: new Date(row.due_at).toISOString(),
    outcome: (row.outcome ?? 'waiting') as 'waiting' | 'whatsapp' | 'sms' | 'none' | 'failed',
    smsId: row.sms_id,
    error: row.error,
  };
}
