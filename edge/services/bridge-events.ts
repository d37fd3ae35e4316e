// What the edge does with each event a bridge reports: durable records in D1, live state in the
// client's Durable Object, webhooks queued. Idempotent: a re-sent event changes nothing twice.
import { and, eq, isNull, lte, or } from 'drizzle-orm';
import { DEFAULT_REJECTION, type WebhookEvent } from '../../adapters/events.ts';
import { type LiveFrame, liveMessage } from '../../adapters/live.ts';
import { chatIdOf, type EventFrame } from '../../adapters/protocol.ts';
import { ackStatus } from '../../adapters/vocabulary.ts';
import { asD1, batchAll, batchGroups, getDb, type Write } from '../db/client.ts';
import { calls, clients, reactions, receivedMessages, sentMessages } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { clientDelivery, clientEventWrites, wakeClientEndpoint, wakeForEvent } from '../webhooks/enqueue.ts';
import { hubFor, live } from './bridge-commands.ts';
import { isPrivateChat, summaryWrite } from './chat-summary.ts';
import { type ClientRow, clientByRef, forgetClient } from './clients.ts';
import { kickHeld } from './sandbox-offline.ts';
import { recentSend, sendKey } from './recent-sends.ts';
import { derivedQueueId, queueSystemSend } from './send-queue.ts';

/** How far ahead of the edge a bridge's event times may be believed. */
const MAX_CLOCK_SKEW_MS = 60_000;

/** The client an event is for, from the per-isolate client cache (a burst of acks reads the row once). */
const clientFor = (env: Bindings, clientRef: number) => clientByRef(getDb(env.DB), clientRef);

type AckFrame = EventFrame & { event: Extract<EventFrame['event'], { kind: 'ack' }> };
const isAck = (f: EventFrame): f is AckFrame => f.event.kind === 'ack';

/**
 * The writes for one client's run of acks: one status update per ack value in the run (an ack only ever
 * moves a message forward; -1 fails it) and a message_ack delivery each.
 */
/**
 * An ack for a message with no sent row yet is held (not acknowledged to the bridge, which offers it
 * again) while it is younger than this: its send's outcome is being written. Older, it is recorded as
 * it is (a message sent from the phone itself has no row here).
 */
export const HOLD_UNKNOWN_ACK_MS = 60_000;
/**
 * Older, it is still held while the number's queue keeps its send's outcome unrecorded (D1 refused the record:
 * queue-store's KnownOutcome), up to this age — so a D1 outage longer than a minute does not lose the acks of
 * what was sent during it.
 */
export const HOLD_UNRECORDED_ACK_MS = 3_600_000;

/**
 * The sends (by client and WhatsApp's id) that have a sent row, with the id each send answered with (its queue
 * id; webhooks name a message by it): one query for the acks of any number of clients, a key lookup each.
 */
async function knownSends(env: Bindings, runs: { client: ClientRow; acks: AckFrame[] }[]): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  const pairs = new Set<string>();
  for (const { client, acks } of runs)
    for (const f of acks) {
      const queueId = recentSend(client.id, f.event.messageId); // recorded by this isolate a moment ago: no D1 read
      if (queueId !== undefined) found.set(sendKey(client.id, f.event.messageId), queueId);
      else pairs.add(JSON.stringify([client.id, f.event.messageId]));
    }
  if (!pairs.size) return found;
  const known = await env.DB.prepare(
    `SELECT s.client_ref, s.message_id, s.queue_id FROM json_each(?) j
     CROSS JOIN sent_messages s ON s.client_ref = j.value ->> 0 AND s.message_id = j.value ->> 1`,
  )
    .bind(`[${[...pairs].join(',')}]`)
    .all<{ client_ref: number; message_id: string; queue_id: string | null }>();
  for (const r of known.results) found.set(sendKey(r.client_ref, r.message_id), r.queue_id);
  return found;
}

async function ackWrites(
  env: Bindings,
  client: ClientRow,
  frames: AckFrame[],
  known: Map<string, string | null>,
): Promise<{ writes: D1PreparedStatement[]; held: AckFrame[] }> {
  const db = getDb(env.DB);
  const queueIds = new Map<string, string | null>();
  for (const f of frames) {
    const key = sendKey(client.id, f.event.messageId);
    if (known.has(key)) queueIds.set(f.event.messageId, known.get(key) ?? null);
  }
  const now = Date.now();
  const unknown = frames.filter((f) => !queueIds.has(f.event.messageId));
  const held = unknown.filter((f) => f.at > now - HOLD_UNKNOWN_ACK_MS);
  const older = unknown.filter((f) => !held.includes(f) && f.at > now - HOLD_UNRECORDED_ACK_MS);
  if (older.length) {
    // rare (a phone's own sends have no row either): the number's queue says which are its, still unrecorded
    const asked = [...new Set(older.map((f) => f.event.messageId))];
    const unrecorded = new Set(
      await hubFor(env, client.id)
        .unrecorded(asked)
        .catch((err: unknown) => {
          console.error(`acks of client ${client.id}: its queue did not answer; held for now`, err);
          return asked; // held: offered again later (at most HOLD_UNRECORDED_ACK_MS)
        }),
    );
    held.push(...older.filter((f) => unrecorded.has(f.event.messageId)));
    // recorded by the queue between the first look and this answer: looked up once more, so they name the message
    const unclaimed = older.filter((f) => !unrecorded.has(f.event.messageId));
    if (unclaimed.length) {
      const found = await knownSends(env, [{ client, acks: unclaimed }]);
      for (const f of unclaimed) {
        const key = sendKey(client.id, f.event.messageId);
        if (found.has(key)) queueIds.set(f.event.messageId, found.get(key) ?? null);
      }
    }
  }
  const recorded = frames.filter((f) => !held.includes(f));
  const writes: D1PreparedStatement[] = [];
  const byAck = new Map<number, Set<string>>();
  for (const f of recorded) byAck.set(f.event.ack, (byAck.get(f.event.ack) ?? new Set()).add(f.event.messageId));
  for (const [ack, ids] of byAck) {
    // an ack only moves a message forward (its rank below the ack's); -1 fails it whatever it was
    writes.push(
      env.DB.prepare(
        `UPDATE sent_messages SET status = ?1 WHERE client_ref = ?2 AND message_id IN (SELECT value FROM json_each(?3))
         AND (?4 < 0 OR CASE status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'played' THEN 4 ELSE 0 END < ?4)`,
      ).bind(ackStatus(ack), client.id, JSON.stringify([...ids]), ack),
    );
  }
  const nacks = recorded.filter((f) => f.event.ack === -1);
  if (nacks.length) writes.push(...(await refusalWrites(env, client, nacks, queueIds)));
  if (client.webhookUrl) {
    for (const frame of recorded) {
      const ev = frame.event;
      const data = {
        messageId: queueIds.get(ev.messageId) ?? ev.messageId,
        from: client.clientId,
        to: ev.to,
        ack: ev.ack,
        status: ackStatus(ev.ack),
        timestamp: frame.at,
        type: 'message_ack' as const,
        channel: 'whatsapp' as const,
      };
      const delivery = await clientDelivery(db, client, { event: 'message_ack', data }, `bridge:${frame.id}`);
      if (delivery) writes.push(asD1(env.DB, delivery.insert));
    }
  }
  return { writes, held };
}

/**
 * Acks — two follow every send — of any number of clients recorded together: their writes in one D1
 * batch (chunks of 100 statements), one wake-up per client, one live frame each.
 */
export async function recordAckRuns(
  env: Bindings,
  runs: EventFrame[][],
  waitUntil: (p: Promise<unknown>) => void,
  watched: (clientRef: number) => boolean,
): Promise<Set<string>> {
  const writes: D1PreparedStatement[] = [];
  const held = new Set<string>();
  const seen: { client: ClientRow; frames: AckFrame[]; all: AckFrame[] }[] = [];
  const found: { client: ClientRow; acks: AckFrame[] }[] = [];
  for (const run of runs) {
    const acks = run.filter(isAck);
    const client = acks[0] ? await clientFor(env, acks[0].clientRef) : undefined;
    if (client) found.push({ client, acks }); // else deleted meanwhile: nothing to record
  }
  const known = found.length ? await knownSends(env, found) : new Map<string, string | null>();
  for (const { client, acks } of found) {
    const these = await ackWrites(env, client, acks, known);
    writes.push(...these.writes);
    for (const f of these.held) held.add(f.id);
    seen.push({ client, frames: acks.filter((f) => !held.has(f.id)), all: acks });
  }
  await batchAll(env.DB, writes);
  for (const { client, frames, all } of seen) {
    // WhatsApp refused a message after taking it (a 463 nack: no reaching out now): the number pauses, as for a refused
    // send — at once, even while the nack itself waits for its send's record (a nack often beats it)
    const refused = all.find((f) => f.event.ack === -1 && f.event.error !== undefined && RATE_REFUSALS.has(f.event.error));
    if (refused)
      await hubFor(env, client.id).refusedAfterSend(
        client.id,
        `${refused.event.error}: WhatsApp refused message ${refused.event.messageId} to ${refused.event.to} (${refused.event.error === '463' ? 'reach-out limit' : 'rate limit'})`,
      );
    if (frames.some((f) => f.event.ack === -1)) wakeForEvent(env, client, 'message_failed', waitUntil);
    else wakeClientEndpoint(env, client, waitUntil);
    if (watched(client.id)) for (const f of frames) waitUntil(live(env, client.id, { type: 'ack', messageId: f.event.messageId, ack: f.event.ack }));
  }
  return held;
}

/** WhatsApp's nack codes for "this number sends too much, or reaches out too far, now" (463 reach-out, 429 rate). */
const RATE_REFUSALS = new Set(['463', '429']);

/**
 * Messages WhatsApp took and then refused (ack −1): failed with why (`sent_messages.error`, the reason in
 * GET /api/messages/{id}) and a message_failed event beside their message_ack. Not sent again: a refusal
 * after the send may have reached the phone already. A rate refusal also pauses the number (recordAckRuns).
 */
async function refusalWrites(env: Bindings, client: ClientRow, nacks: AckFrame[], queueIds: Map<string, string | null>): Promise<D1PreparedStatement[]> {
  const db = getDb(env.DB);
  const { results } = await env.DB.prepare(
    'SELECT message_id, message FROM sent_messages WHERE client_ref = ? AND message_id IN (SELECT value FROM json_each(?))',
  )
    .bind(client.id, JSON.stringify(nacks.map((f) => f.event.messageId)))
    .all<{ message_id: string; message: string }>();
  const bodies = new Map(results.map((r) => [r.message_id, r.message]));
  const writes: D1PreparedStatement[] = [];
  for (const f of nacks) {
    const { messageId, to, error } = f.event;
    const code = error !== undefined && RATE_REFUSALS.has(error) ? 'WHATSAPP_RATE_LIMIT' : 'WHATSAPP_REFUSED';
    const why = `WhatsApp refused the message after taking it${error ? ` (error ${error})` : ''}`;
    writes.push(env.DB.prepare('UPDATE sent_messages SET error = ? WHERE client_ref = ? AND message_id = ?').bind(`${code}: ${why}`, client.id, messageId));
    // a message we have no row of (sent from the phone, long ago) fails with its ack alone
    if (!bodies.has(messageId)) continue;
    const id = queueIds.get(messageId) ?? messageId;
    const event: WebhookEvent = {
      event: 'message_failed',
      data: {
        messageId: id,
        from: client.clientId,
        to,
        body: bodies.get(messageId) ?? '',
        code,
        error: why,
        timestamp: f.at,
        type: 'message_failed',
        channel: 'whatsapp',
      },
    };
    for (const w of await clientEventWrites(db, client, event, `failed:${id}`)) writes.push(asD1(env.DB, w));
  }
  return writes;
}

type MessageFrame = EventFrame & { event: Extract<EventFrame['event'], { kind: 'message' }> };
const isMessage = (f: EventFrame): f is MessageFrame => f.event.kind === 'message';
type Push = (clientRef: number, frame: LiveFrame) => void;

/**
 * One message event's writes — its row, its chat's summary right after it (it counts the row that insert
 * added), its webhook — and what follows once they are in (the wake-ups and the live frame).
 */
async function messageWrites(
  env: Bindings,
  client: ClientRow,
  frame: MessageFrame,
): Promise<{ writes: D1PreparedStatement[]; after: (waitUntil: (p: Promise<unknown>) => void, push: Push) => void }> {
  const db = getDb(env.DB);
  const ev = frame.event;
  const none = { writes: [], after: () => {} };
  if (ev.fromMe) {
    // our own message, seen in the history sync: the chat views show it as sent
    if (!ev.history) return none;
    const row = db
      .insert(sentMessages)
      .values({
        userId: client.userId,
        clientRef: client.id,
        messageId: ev.messageId,
        recipient: ev.chatId.replace(/@c\.us$/, ''),
        message: ev.body,
        status: 'sent',
        sentAt: ev.timestamp,
      })
      .onConflictDoNothing();
    const summary = isPrivateChat(ev.chatId)
      ? [summaryWrite(db, { clientRef: client.id, chatId: ev.chatId, body: ev.body, at: ev.timestamp, fromMe: true })]
      : [];
    return { writes: [row, ...summary].map((w) => asD1(env.DB, w)), after: () => {} };
  }
  // the row and its webhook together; the delivery id comes from the message, so a re-sent event (say the
  // first try failed after D1 wrote) still queues exactly one delivery
  const eventWrites = ev.history
    ? []
    : await clientEventWrites(
        db,
        client,
        {
          event: 'message_received',
          data: {
            from: ev.from,
            to: client.clientId,
            body: ev.body,
            message: ev.body,
            timestamp: ev.timestamp,
            type: 'received_message',
            channel: 'whatsapp',
            messageId: ev.messageId,
            ...(ev.groupId ? { groupId: ev.groupId } : {}),
            ...(ev.senderLid ? { fromLid: ev.senderLid } : {}),
          },
        },
        `message:${ev.messageId}`,
        { replyRoute: { channel: 'whatsapp', to: ev.groupId ?? ev.from, sim: null } },
      );
  const insert = db
    .insert(receivedMessages)
    .values({
      clientRef: client.id,
      messageId: ev.messageId,
      sender: ev.from,
      chatId: ev.chatId,
      groupId: ev.groupId ?? null,
      message: ev.body,
      type: ev.type,
      hasMedia: ev.hasMedia,
      receivedAt: ev.timestamp,
      mimetype: ev.mimetype ?? null,
      filename: ev.filename ?? null,
      pushName: ev.pushName ?? null,
    })
    .onConflictDoNothing();
  const summary =
    !ev.groupId && isPrivateChat(ev.chatId)
      ? [
          summaryWrite(db, {
            clientRef: client.id,
            chatId: ev.chatId,
            body: ev.body,
            at: ev.timestamp,
            fromMe: false,
            name: ev.pushName,
            countUnread: !ev.history,
          }),
        ]
      : [];
  return {
    writes: [insert, ...summary, ...eventWrites].map((w) => asD1(env.DB, w)),
    after: (waitUntil, push) => {
      if (ev.history) return;
      wakeForEvent(env, client, 'message_received', waitUntil);
      push(
        client.id,
        liveMessage(ev.chatId, { id: ev.messageId, body: ev.body, fromMe: false, at: ev.timestamp, type: ev.type, hasMedia: ev.hasMedia, from: ev.from }),
      );
    },
  };
}

/** Whether every event of a run is an ack (such runs of many clients are recorded in one batch). */
export const onlyAcks = (run: EventFrame[]) => run.every(isAck);

/**
 * A run of one client's events, in order: consecutive acks go in one batch, the rest one by one.
 * Answers the ids held back (acks of sends whose outcome is still being written): not to be acknowledged.
 */
/** Whether someone has the client's live socket open: asked when a frame is pushed (after its write), not before. */
type Watched = boolean | (() => boolean);
const isWatched = (w: Watched) => (typeof w === 'function' ? w() : w);

export async function handleBridgeEvents(
  env: Bindings,
  frames: EventFrame[],
  waitUntil: (p: Promise<unknown>) => void,
  watched: Watched = true,
): Promise<Set<string>> {
  const held = new Set<string>();
  const first = frames[0];
  if (!first) return held;
  const client = await clientFor(env, first.clientRef);
  if (!client) return held; // deleted meanwhile: nothing to record
  const push: Push = (clientRef, frame) => {
    if (isWatched(watched)) waitUntil(live(env, clientRef, frame));
  };
  for (let i = 0; i < frames.length; ) {
    const frame = frames[i]!;
    if (isMessage(frame)) {
      // consecutive messages (a burst, a history sync): their writes in one D1 batch, in order
      const run: MessageFrame[] = [];
      while (i < frames.length && isMessage(frames[i]!)) run.push(frames[i++] as MessageFrame);
      const built = [];
      for (const f of run) built.push(await messageWrites(env, client, f));
      await batchGroups(
        env.DB,
        built.map((m) => m.writes),
      );
      for (const m of built) m.after(waitUntil, push);
      continue;
    }
    if (!isAck(frame)) {
      await handleBridgeEvent(env, frame, waitUntil, watched);
      i++;
      continue;
    }
    const run: AckFrame[] = [];
    while (i < frames.length && isAck(frames[i]!)) run.push(frames[i++] as AckFrame);
    for (const id of await recordAckRuns(env, [run], waitUntil, () => isWatched(watched))) held.add(id);
  }
  return held;
}

export async function handleBridgeEvent(env: Bindings, frame: EventFrame, waitUntil: (p: Promise<unknown>) => void, watched: Watched = true): Promise<void> {
  const db = getDb(env.DB);
  /** a live update, only when someone has the client's live socket open (asked now: after the write it follows) */
  const push = (clientRef: number, frame: LiveFrame) => {
    if (isWatched(watched)) waitUntil(live(env, clientRef, frame));
  };
  const client = await clientFor(env, frame.clientRef);
  if (!client) return; // deleted meanwhile: nothing to record
  const ev = frame.event;
  /** A state change and its webhook in one batch; the delivery id comes from the bridge event id. */
  const queue = async (event: WebhookEvent, writes: Write[]) => {
    const all: Write[] = [...writes, ...(await clientEventWrites(db, client, event, `bridge:${frame.id}`))];
    if (all.length) await db.batch(all as [Write, ...Write[]]);
    wakeForEvent(env, client, event.event, waitUntil);
  };

  switch (ev.kind) {
    case 'auth':
      // kept by the client's hub for whichever bridge holds it next; a write from a lease that ended is dropped
      if (!(await hubFor(env, client.id).storeAuth(frame.epoch, ev.entries)))
        console.error(`client ${client.id}: auth state from epoch ${frame.epoch} dropped (not the holder)`);
      return;
    case 'qr':
      await hubFor(env, client.id).apply({ status: 'pending_auth', qrPng: ev.png, pairingCode: null });
      return;
    case 'pairing_code':
      await hubFor(env, client.id).apply({ status: 'pending_auth', qrPng: null, pairingCode: ev.code });
      return;
    case 'status': {
      forgetClient(client.id);
      // a re-sent or late status older than the recorded one changes nothing (equal: a re-send, applied
      // again); a bridge clock running ahead is clamped, so it cannot freeze the status for the next bridge
      const at = Math.min(frame.at, Date.now() + MAX_CLOCK_SKEW_MS);
      const changed = await db
        .update(clients)
        .set({ status: ev.status, connectedNumber: ev.connectedNumber, statusAt: at })
        .where(and(eq(clients.id, client.id), or(isNull(clients.statusAt), lte(clients.statusAt, at))))
        .returning({ id: clients.id });
      if (!changed.length) return;
      await hubFor(env, client.id).apply({ status: ev.status, connectedNumber: ev.connectedNumber });
      const data = { clientId: client.clientId, status: ev.status, connectedNumber: ev.connectedNumber, timestamp: frame.at, type: 'client_status' as const };
      await queue({ event: 'client_status', data: ev.reason ? { ...data, reason: ev.reason } : data }, []);
      if (ev.status === 'connected') kickHeld(env, client.id, waitUntil); // the sandbox network's held messages (services/sandbox-offline.ts)
      return;
    }
    case 'message': {
      const m = await messageWrites(env, client, frame as MessageFrame);
      await batchGroups(env.DB, [m.writes]);
      m.after(waitUntil, push);
      return;
    }
    case 'reaction': {
      const where = and(eq(reactions.clientRef, client.id), eq(reactions.messageId, ev.messageId), eq(reactions.senderId, chatIdOf(ev.from)));
      if (ev.emoji) {
        await db
          .insert(reactions)
          .values({ clientRef: client.id, messageId: ev.messageId, senderId: chatIdOf(ev.from), reaction: ev.emoji, at: frame.at })
          .onConflictDoUpdate({ target: [reactions.clientRef, reactions.messageId, reactions.senderId], set: { reaction: ev.emoji, at: frame.at } });
      } else await db.delete(reactions).where(where);
      push(client.id, { type: 'reaction', messageId: ev.messageId, senderId: chatIdOf(ev.from), reaction: ev.emoji });
      return;
    }
    case 'ack':
      // held: its send's outcome is still being written; unacknowledged, the bridge offers it again
      if ((await recordAckRuns(env, [[frame]], waitUntil, () => isWatched(watched))).size) throw new Error('ack for a send not recorded yet');
      return;
    case 'call': {
      const event: WebhookEvent = {
        event: 'call_rejected',
        data: {
          from: ev.from,
          to: client.clientId,
          isVideo: ev.isVideo,
          timestamp: ev.timestamp,
          type: 'call_rejected',
          callId: ev.callId,
          ...(ev.callerLid ? { fromLid: ev.callerLid } : {}),
        },
      };
      const live = client.webhookUrl !== null && client.webhookDisabledAt === null;
      // with a live webhook the caller hears back after its first attempt (rejectionMessage or the default)
      const eventWrites = await clientEventWrites(db, client, event, `call:${ev.callId}`, {
        replyRoute: live ? { channel: 'whatsapp', to: ev.from, sim: null } : undefined,
      });
      const insert = db
        .insert(calls)
        .values({ clientRef: client.id, callId: ev.callId, callFrom: chatIdOf(ev.from), isVideo: ev.isVideo, startTime: ev.timestamp })
        .onConflictDoNothing();
      await db.batch([insert, ...eventWrites]);
      wakeForEvent(env, client, 'call_rejected', waitUntil);
      // queued before the event is acknowledged, under an id derived from the call: an event offered again
      // (its call row already in) queues it again and it is still one message
      if (!live)
        await queueSystemSend(
          env,
          client,
          { to: ev.from, text: DEFAULT_REJECTION, origin: 'rejection' },
          await derivedQueueId(client.id, 'c', ev.callId),
          waitUntil,
        );
      return;
    }
  }
}
