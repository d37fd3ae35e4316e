import { and, desc, eq, lt } from 'drizzle-orm';
import { NOT_SENT_CODES } from '../../../adapters/protocol.ts';
import { allowPrivateUrls } from '../../../adapters/url-guard.ts';
import { getDb } from '../../db/client.ts';
import { clients, receivedMessages, sentMessages } from '../../db/schema.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { sha256Hex } from '../../lib/secrets.ts';
import { pageById, textBytes } from '../../lib/pages.ts';
import { iso } from '../../lib/time.ts';
import { findOwnClient, ownClients } from '../../services/clients.ts';
import { claimKey, releaseKey, settleKey } from '../../services/idempotency.ts';
import { checkMediaUrl } from '../../services/media-url.ts';
import { sendThroughClient } from '../../services/messaging.ts';
import { receivedMessagesRoute, sendMessageRoute, sentMessagesRoute } from './messages.routes.ts';

/** Refusals that happen before a message can have left the bridge. */
const PRE_SEND_REFUSALS = new Set<string>([...NOT_SENT_CODES, 'BRIDGE_UNAVAILABLE']);

export const messagesRouter = createRouter()
  .openapi(sendMessageRoute, async (c) => {
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, auth, body.clientId);
    const media = body.mediaUrl ? { url: body.mediaUrl, ...checkMediaUrl(body.mediaUrl, allowPrivateUrls(c.env)) } : undefined;
    if (key) {
      const claim = await claimKey(db, auth.userId, key, body);
      if (claim.kind === 'replay') return c.json(claim.body as never, claim.status as 200);
    }
    try {
      // the key travels to the bridge too: a retry after a crash mid-send gets the first result, never a second message
      const bridgeKey = key ? `idem:${(await sha256Hex(`${auth.userId}:${key}`)).slice(0, 48)}` : undefined;
      const sent = await sendThroughClient(c.env, client, { to: body.number, text: body.message, media, key: bridgeKey }, (p) => c.executionCtx.waitUntil(p));
      const response = {
        success: true as const,
        messageId: sent.messageId,
        clientId: client.clientId,
        to: body.number,
        status: 'sent' as const,
        timestamp: sent.timestamp,
      };
      if (key) await settleKey(db, auth.userId, key, 200, response);
      return c.json(response, 200);
    } catch (err) {
      if (key) {
        // refused before anything left: the key is free for a retry; otherwise the message may have gone,
        // so a retry with the key gets this same answer rather than a second send
        if (err instanceof ApiError && PRE_SEND_REFUSALS.has(err.code)) await releaseKey(db, auth.userId, key);
        else if (err instanceof ApiError) await settleKey(db, auth.userId, key, err.status, { success: false, code: err.code, error: err.message });
        else await settleKey(db, auth.userId, key, 500, { success: false, code: 'INTERNAL_ERROR', error: 'Internal error' });
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
        messageId: m.messageId,
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
