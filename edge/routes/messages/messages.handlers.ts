import { and, desc, eq, lt } from 'drizzle-orm';
import { allowPrivateUrls } from '../../../adapters/url-guard.ts';
import { getDb } from '../../db/client.ts';
import { clients, receivedMessages, sentMessages } from '../../db/schema.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { pageById, textBytes } from '../../lib/pages.ts';
import { iso } from '../../lib/time.ts';
import { findOwnClient, ownClients } from '../../services/clients.ts';
import { claimKeyWith, releaseKey, settleKey } from '../../services/idempotency.ts';
import { checkMediaUrl } from '../../services/media-url.ts';
import { hubFor } from '../../services/bridge-commands.ts';
import { forgetFallback, recordFallback } from '../../services/fallbacks.ts';
import { newQueueId, outcomeFrom, queueSend, recordedQuery, throwIfFailed } from '../../services/send-queue.ts';
import { DEFAULT_WAIT_S, MAX_WAIT_S, receivedMessagesRoute, sendMessageRoute, sentMessagesRoute } from './messages.routes.ts';

/** Refusals after which nothing was queued and a retry may succeed: the key is freed, not settled with them. */
const RETRYABLE_REFUSALS = new Set(['INTERNAL_ERROR', 'QUEUE_FULL']);

/** How long to wait for the outcome: the body's `wait` (true: the default), else `Prefer: wait=N`; 0: answer queued. */
function waitMsOf(wait: boolean | number | undefined, prefer: string | undefined): number {
  if (wait === true) return DEFAULT_WAIT_S * 1000;
  if (typeof wait === 'number') return wait * 1000;
  const asked = prefer ? /(?:^|[,;\s])wait=(\d{1,4})/.exec(prefer)?.[1] : undefined;
  return asked ? Math.min(Number(asked), MAX_WAIT_S) * 1000 : 0;
}

export const messagesRouter = createRouter()
  .openapi(sendMessageRoute, async (c) => {
    const body = c.req.valid('json');
    const headers = c.req.valid('header');
    const key = headers['idempotency-key'];
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, auth, body.clientId);
    const media = body.mediaUrl ? { url: body.mediaUrl, ...checkMediaUrl(body.mediaUrl, allowPrivateUrls(c.env)) } : undefined;
    // with a key, every retry of the request is the same queue id (and bridge send key): one message, however often it is asked
    // the request itself is part of the id: a key reused later for another message is another message
    const id = await newQueueId(client.id, key ? { userId: auth.userId, key, request: body } : undefined);
    let done: ReturnType<typeof outcomeFrom> = null;
    if (key) {
      // read with the claim, in its batch: a retry that took over a first attempt which died after queueing finds
      // a message already settled, answered as it was (the queue forgets ids 10 min after they leave; D1 keeps them)
      const { claim, along } = await claimKeyWith(db, auth.userId, key, body, recordedQuery(db, client.id, id));
      if (claim.kind === 'replay') return c.json(claim.body as never, claim.status as 200);
      done = outcomeFrom(id, along);
    }
    try {
      // the fallback is on record before the send can settle, and its check is on the hub's alarm (also for a
      // retry that finds the message settled: its first attempt may have died before the hub heard of it)
      const fallbackDue = body.fallback
        ? await recordFallback(c.env, {
            queueId: id,
            clientRef: client.id,
            userId: auth.userId,
            to: body.number,
            text: body.message!,
            request: body.fallback,
          })
        : null;
      const enqueued =
        done ??
        (await queueSend(
          c.env,
          client,
          { to: body.number, text: body.message, media, origin: 'api', ...(body.fallback ? { fallback: true } : {}) },
          { id, minted: !key, lane: body.priority ?? 'bulk', waitMs: waitMsOf(body.wait, headers.prefer) },
        ).catch(async (err: unknown) => {
          // not queued at all (the queue is full, or it failed): no WhatsApp message, so no fallback for it
          if (fallbackDue !== null) await forgetFallback(c.env, id);
          throw err;
        }));
      if (fallbackDue !== null) await hubFor(c.env, client.id).expectFallback(client.id, fallbackDue);
      const result = throwIfFailed(enqueued);
      const response = {
        success: true as const,
        messageId: result.id,
        clientId: client.clientId,
        to: body.number,
        status: result.status === 'sent' ? ('sent' as const) : result.status === 'sending' ? ('sending' as const) : ('queued' as const),
        timestamp: result.timestamp ?? Date.now(),
      };
      if (key) await settleKey(db, auth.userId, key, 200, response);
      return c.json(response, 200);
    } catch (err) {
      if (key) {
        // a refusal after the outcome is known is the answer to every retry; anything else frees the key
        // (a retry enqueues the same id, so it cannot become a second message)
        if (err instanceof ApiError && !RETRYABLE_REFUSALS.has(err.code))
          await settleKey(db, auth.userId, key, err.status, { success: false, code: err.code, error: err.message });
        else await releaseKey(db, auth.userId, key);
      }
      throw err;
    }
  })
  .openapi(sentMessagesRoute, async (c) => {
    const page = await pageById(
      c,
      c.req.valid('query'),
      (before, take) =>
        getDb(c.env.DB)
          .select({ m: sentMessages, clientId: clients.clientId, phone: clients.phoneNumber, connected: clients.connectedNumber })
          .from(sentMessages)
          .innerJoin(clients, eq(clients.id, sentMessages.clientRef))
          .where(and(ownClients(c.get('auth')), before ? lt(sentMessages.id, before) : undefined))
          .orderBy(desc(sentMessages.id))
          .limit(take),
      (r) => r.m.id,
      (r) => textBytes(r.m.message, r.m.error, r.m.mediaUrl),
    );
    return c.json(
      page.map(({ m, clientId, phone, connected }) => ({
        id: m.id,
        clientId,
        senderNumber: connected?.replace(/@.*$/, '') ?? phone,
        recipient: m.recipient,
        message: m.message,
        status: m.status,
        sentAt: iso(m.sentAt),
        messageId: m.queueId ?? m.messageId,
        mediaUrl: m.mediaUrl,
        error: m.error,
      })),
      200,
    );
  })
  .openapi(receivedMessagesRoute, async (c) => {
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, c.get('auth'), c.req.valid('param').clientId);
    const page = await pageById(
      c,
      c.req.valid('query'),
      (before, take) =>
        db
          .select()
          .from(receivedMessages)
          .where(and(eq(receivedMessages.clientRef, client.id), before ? lt(receivedMessages.id, before) : undefined))
          .orderBy(desc(receivedMessages.id))
          .limit(take),
      (r) => r.id,
      (r) => textBytes(r.message),
    );
    return c.json(
      {
        status: 'success' as const,
        messages: page.map((r) => ({
          id: r.id,
          client_id: client.clientId,
          sender: r.sender,
          message: r.message,
          received_at: iso(r.receivedAt),
          type: r.type,
          group_id: r.groupId,
        })),
      },
      200,
    );
  });
