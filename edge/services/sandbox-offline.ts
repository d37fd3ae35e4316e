// The sandbox network's offline queue: like WhatsApp's servers, it holds a message sent to a number none
// of whose sessions is online and hands it over, in order, once the number is back (its session reports
// `connected`, or a later message for it arrives). Held messages live in D1 (`sandbox_offline`), at most
// MAX_HELD per number. Each carries its id from the start: the sandbox transport emits a named message
// once, so a repeated hand-over (two deliveries running at once, a retry after a timeout) is not a second message.
import type { OpParams } from '../../adapters/protocol.ts';
import { mediaFromUrl } from '../../adapters/media.ts';
import { type Bindings, isSandbox } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { ask, bridgeError } from './bridge-commands.ts';

type InboundParams = OpParams<'sandbox.inbound'>;
/** What the inbound route answers: handed to the number's session now, or held for it. */
export type InboundAnswer = { queued: boolean; messageId: string; timestamp: number };

/** At most this many messages are held per number; beyond it a message is refused (429 OFFLINE_QUEUE_FULL). */
export const MAX_HELD = 1000;
/** The bridge's answers that mean "the number is offline": the message is held. */
const OFFLINE = new Set(['BRIDGE_UNAVAILABLE', 'BRIDGE_TIMEOUT', 'SESSION_NOT_CONNECTED', 'SESSION_NOT_FOUND']);
/** Refusals of the message itself: held, it could never be handed over, so it is dropped rather than block the rest. */
const UNDELIVERABLE = new Set(['VALIDATION_ERROR', 'MEDIA_ERROR']);
/** Held rows read per page while delivering. */
const PAGE = 100;

/** An id as the sandbox transport gives received messages: `SBIN` and 16 hex digits. */
export function inboundId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `SBIN${[...bytes]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()}`;
}

const hasHeld = async (env: Bindings, clientRef: number) =>
  (await env.DB.prepare('SELECT 1 AS x FROM sandbox_offline WHERE client_ref = ? LIMIT 1').bind(clientRef).first()) !== null;

/**
 * A contact's message to the number (POST /api/sandbox/{clientId}/inbound): handed to its session, or held
 * when the number is offline or has messages held already (a new one never jumps the queue).
 */
export async function receiveInbound(
  env: Bindings,
  clientRef: number,
  params: InboundParams,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<InboundAnswer> {
  const named = { ...params, id: params.id ?? inboundId() };
  if (!(await hasHeld(env, clientRef))) {
    const answer = await ask(env, clientRef, 'sandbox.inbound', named);
    if (answer.ok) return { queued: false, ...answer.result };
    if (!OFFLINE.has(answer.code)) throw bridgeError(answer);
  }
  const held = await holdInbound(env, clientRef, named);
  // the number may have come back meanwhile (its `connected` found nothing held yet): try now
  kickHeld(env, clientRef, waitUntil);
  return held;
}

/** Holds a message for an offline number; refused when it could never be handed over or the number holds MAX_HELD. */
export async function holdInbound(env: Bindings, clientRef: number, params: InboundParams): Promise<InboundAnswer> {
  // what the sandbox transport would refuse, refused now (held, it would wait for nothing)
  if (!/^\d{6,15}$/.test(params.from.replace(/^\+/, '').replace(/@.*$/, '')))
    throw new ApiError(400, 'VALIDATION_ERROR', 'from: a phone number with country code');
  const media = params.mediaUrl ? mediaFromUrl(params.mediaUrl) : undefined;
  if (media && !media.ok) throw new ApiError(400, 'MEDIA_ERROR', media.error);
  const id = params.id ?? inboundId();
  const sentAt = params.sentAt ?? Date.now();
  const payload: InboundParams = { from: params.from, message: params.message, mediaUrl: params.mediaUrl, groupId: params.groupId, sentAt };
  // the bound and the insert in one statement: concurrent holds cannot pass it together (an id held already is kept)
  const inserted = await env.DB.prepare(
    `INSERT OR IGNORE INTO sandbox_offline (id, client_ref, payload)
     SELECT ?1, ?2, ?3 WHERE (SELECT count(*) FROM sandbox_offline WHERE client_ref = ?2) < ?4`,
  )
    .bind(id, clientRef, JSON.stringify(payload), MAX_HELD)
    .run();
  if (!inserted.meta.changes && !(await env.DB.prepare('SELECT 1 AS x FROM sandbox_offline WHERE id = ?').bind(id).first()))
    throw new ApiError(429, 'OFFLINE_QUEUE_FULL', `This number is offline and holds ${MAX_HELD} messages already; try again once it is back`, {
      'Retry-After': '60',
    });
  return { queued: true, messageId: id, timestamp: sentAt };
}

/**
 * Hands the number's held messages to its session, oldest first, each removed only once the bridge took it;
 * stops at the first outage (the rest wait for the next time). Safe to run twice at once: a message goes
 * with its id, and the sandbox transport emits an id once. Answers how many were handed over.
 */
export async function deliverHeld(env: Bindings, clientRef: number): Promise<{ delivered: number; left: boolean }> {
  let delivered = 0;
  for (;;) {
    // rowid: the order they were held in (a new row's rowid is above every row still there)
    const { results } = await env.DB.prepare('SELECT id, payload FROM sandbox_offline WHERE client_ref = ? ORDER BY rowid LIMIT ?')
      .bind(clientRef, PAGE)
      .all<{ id: string; payload: string }>();
    if (!results.length) return { delivered, left: false };
    for (const row of results) {
      const answer = await ask(env, clientRef, 'sandbox.inbound', { ...(JSON.parse(row.payload) as InboundParams), id: row.id });
      if (!answer.ok && !UNDELIVERABLE.has(answer.code)) return { delivered, left: true };
      if (!answer.ok) console.error(`held sandbox message ${row.id} dropped: ${answer.code}: ${answer.message}`);
      await env.DB.prepare('DELETE FROM sandbox_offline WHERE id = ?').bind(row.id).run();
      if (answer.ok) delivered++;
    }
  }
}

/** Deliveries running in this isolate, per number: a kick during one asks it to look again when done. */
const running = new Map<number, { again: boolean }>();

/** Starts delivering the number's held messages in the background (the sandbox transport only; one at a time per isolate). */
export function kickHeld(env: Bindings, clientRef: number, waitUntil: (p: Promise<unknown>) => void): void {
  if (!isSandbox(env)) return;
  const run = running.get(clientRef);
  if (run) {
    run.again = true;
    return;
  }
  const state = { again: false };
  running.set(clientRef, state);
  const loop = async () => {
    try {
      do {
        state.again = false;
        // still offline: the next `connected` or link hello takes it up — unless one came while this one ran (a
        // bridge linking again kicks while the attempt that found it away is still finishing): then it looks again
        if ((await deliverHeld(env, clientRef)).left && !state.again) break;
      } while (state.again);
    } catch (err) {
      console.error('delivering held sandbox messages failed', err);
    } finally {
      running.delete(clientRef);
    }
  };
  waitUntil(loop());
}

/** A bridge said hello holding these clients: those with held messages get them (their sessions may have stayed connected). */
export async function kickHeldOf(env: Bindings, clientRefs: number[], waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  if (!isSandbox(env) || !clientRefs.length) return;
  const { results } = await env.DB.prepare('SELECT DISTINCT client_ref FROM sandbox_offline WHERE client_ref IN (SELECT value FROM json_each(?))')
    .bind(JSON.stringify(clientRefs))
    .all<{ client_ref: number }>();
  for (const r of results) kickHeld(env, r.client_ref, waitUntil);
}
