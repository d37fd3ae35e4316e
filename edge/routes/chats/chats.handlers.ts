import { and, desc, eq, gt } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { credentialOf } from '../../services/credentials.ts';
import { LOGIN_COOKIE } from '../../services/logins.ts';
import { picturesFor } from '../../services/pictures.ts';
import { ackOf } from '../../../adapters/vocabulary.ts';
import { getDb } from '../../db/client.ts';
import { chatState, reactions, receivedMessages } from '../../db/schema.ts';
import { downloadHeaders } from '../../lib/download-headers.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { inList } from '../../lib/sql-list.ts';
import { command, hubFor, live } from '../../services/bridge-commands.ts';
import { findOwnClient } from '../../services/clients.ts';
import { queueSend, throwIfFailed } from '../../services/send-queue.ts';

/** A person typed it and waits for it: the chat page answers with the outcome when it comes this soon. */
const CHAT_WAIT_MS = 15_000;
import { chatMediaRoute, chatMessagesRoute, chatReadRoute, chatSendRoute, listChatsRoute, liveRoute } from './chats.routes.ts';

/** Read receipts sent at most per read. */
const MAX_RECEIPTS = 500;

// Private chats from their summaries (written with each message, unread count included): one row per
// chat, newest first (groups are under /api/groups).
const CHATS_SQL = `
SELECT chat_id, last_body AS body, last_at AS ts, last_from_me AS from_me, name, muted, pinned, unread
FROM chat_state WHERE client_ref = ?1 AND last_at IS NOT NULL
ORDER BY last_at DESC LIMIT 500`;

// Each side takes its newest ?4 from its index before they are merged: no read sorts a chat's whole history.
const MESSAGES_SQL = `
SELECT * FROM (
  SELECT * FROM (SELECT message_id, message AS body, 0 AS from_me, received_at AS ts, type, has_media, filename, NULL AS status, sender FROM received_messages
   WHERE client_ref = ?1 AND chat_id = ?2 ORDER BY received_at DESC LIMIT ?4)
  UNION ALL
  SELECT * FROM (SELECT message_id, message, 1, sent_at, CASE WHEN media_url IS NULL THEN 'chat' ELSE 'media' END, media_url IS NOT NULL, NULL, status, NULL FROM sent_messages
   WHERE client_ref = ?1 AND recipient = ?3 AND message_id IS NOT NULL ORDER BY sent_at DESC LIMIT ?4)
) ORDER BY ts DESC LIMIT ?4`;

type ChatRow = { chat_id: string; body: string; ts: number; from_me: number; name: string | null; unread: number; muted: number; pinned: number };
type MessageRow = {
  message_id: string;
  body: string;
  from_me: number;
  ts: number;
  type: string;
  has_media: number;
  filename: string | null;
  status: string | null;
  sender: string | null;
};

export const chatsRouter = createRouter()
  .openapi(listChatsRoute, async (c) => {
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), c.req.valid('param').clientId);
    const rows = await c.env.DB.prepare(CHATS_SQL).bind(client.id).all<ChatRow>();
    const pictures = rows.results.length
      ? await picturesFor(
          c.env,
          client.id,
          rows.results.map((r) => r.chat_id),
        )
      : new Map<string, string | null>();
    const chats = rows.results.map((r) => ({
      id: { _serialized: r.chat_id },
      name: r.name ?? r.chat_id.replace(/@c\.us$/, ''),
      profilePic: pictures.get(r.chat_id) ?? null,
      lastMessage: { body: r.body, timestamp: Math.floor(r.ts / 1000), fromMe: r.from_me === 1 },
      timestamp: Math.floor(r.ts / 1000),
      unreadCount: r.unread,
      isMuted: r.muted === 1,
      pinned: r.pinned === 1,
    }));
    // pinned chats first, then newest activity
    chats.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.timestamp - a.timestamp);
    return c.json({ chats }, 200);
  })
  .openapi(chatMessagesRoute, async (c) => {
    const { clientId, chatId } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, c.get('auth'), clientId);
    const [rows, [state]] = await Promise.all([
      c.env.DB.prepare(MESSAGES_SQL)
        .bind(client.id, chatId, chatId.replace(/@c\.us$/, ''), limit)
        .all<MessageRow>(),
      db
        .select()
        .from(chatState)
        .where(and(eq(chatState.clientRef, client.id), eq(chatState.chatId, chatId))),
    ]);
    const ids = rows.results.map((r) => r.message_id);
    const reacted = ids.length
      ? await db
          .select()
          .from(reactions)
          .where(and(eq(reactions.clientRef, client.id), inList(reactions.messageId, ids)))
      : [];
    const byMessage = new Map<string, { reaction: string; senderId: string }[]>();
    for (const r of reacted) byMessage.set(r.messageId, [...(byMessage.get(r.messageId) ?? []), { reaction: r.reaction, senderId: r.senderId }]);
    const readUntil = state?.readUntil ?? 0;
    const isGroup = chatId.endsWith('@g.us');
    const messages = rows.results.reverse().map((r) => {
      const list = byMessage.get(r.message_id) ?? null;
      return {
        id: { _serialized: r.message_id },
        body: r.body,
        fromMe: r.from_me === 1,
        timestamp: Math.floor(r.ts / 1000),
        type: r.type,
        hasMedia: r.has_media === 1,
        hasReaction: Boolean(list?.length),
        reactions: list,
        ack: r.from_me === 1 ? ackOf(r.status) : r.ts <= readUntil ? 3 : 2,
        filename: r.filename,
        ...(r.sender && isGroup ? { from: r.sender } : {}),
      };
    });
    return c.json({ messages }, 200);
  })
  .openapi(chatSendRoute, async (c) => {
    const { clientId, chatId } = c.req.valid('param');
    const { message } = c.req.valid('json');
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), clientId);
    const sent = throwIfFailed(
      await queueSend(c.env, client, { to: chatId.replace(/@c\.us$/, ''), text: message, origin: 'chat' }, { lane: 'interactive', waitMs: CHAT_WAIT_MS }),
    );
    const status = sent.status === 'sent' ? ('sent' as const) : sent.status === 'sending' ? ('sending' as const) : ('queued' as const);
    const at = sent.timestamp ?? Date.now();
    return c.json(
      {
        success: true as const,
        messageId: sent.id,
        status,
        message: { id: { _serialized: sent.messageId ?? sent.id }, body: message, timestamp: Math.floor(at / 1000) },
      },
      200,
    );
  })
  .openapi(chatReadRoute, async (c) => {
    const { clientId, chatId } = c.req.valid('param');
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, c.get('auth'), clientId);
    const [state] = await db
      .select()
      .from(chatState)
      .where(and(eq(chatState.clientRef, client.id), eq(chatState.chatId, chatId)));
    // receipts for the newest unread messages (bounded: a long-unread chat needs no thousands of receipts)
    const toRead = await db
      .select({ id: receivedMessages.messageId, at: receivedMessages.receivedAt })
      .from(receivedMessages)
      .where(and(eq(receivedMessages.clientRef, client.id), eq(receivedMessages.chatId, chatId), gt(receivedMessages.receivedAt, state?.readUntil ?? 0)))
      .orderBy(desc(receivedMessages.receivedAt))
      .limit(MAX_RECEIPTS);
    if (toRead.length) {
      await command(c.env, client.id, 'read', { chatId, messageIds: toRead.map((m) => m.id) });
    }
    const readUntil = Math.max(Date.now(), toRead[0]?.at ?? 0);
    await db
      .insert(chatState)
      .values({ clientRef: client.id, chatId, readUntil })
      .onConflictDoUpdate({ target: [chatState.clientRef, chatState.chatId], set: { readUntil, unread: 0 } });
    c.executionCtx.waitUntil(live(c.env, client.id, { type: 'read', chatId }));
    return c.json({ success: true as const }, 200);
  })
  .openapi(chatMediaRoute, async (c) => {
    const { clientId, messageId } = c.req.valid('param');
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, c.get('auth'), clientId);
    const [row] = await db
      .select({ hasMedia: receivedMessages.hasMedia })
      .from(receivedMessages)
      .where(and(eq(receivedMessages.clientRef, client.id), eq(receivedMessages.messageId, messageId)));
    if (!row?.hasMedia) throw new ApiError(404, 'MEDIA_NOT_FOUND', 'This message has no media');
    const media = await command(c.env, client.id, 'media', { messageId });
    const bytes = Uint8Array.from(atob(media.data), (ch) => ch.charCodeAt(0));
    return c.body(bytes, 200, downloadHeaders(media.mimetype, media.filename ?? messageId)) as never;
  })
  .openapi(liveRoute, async (c) => {
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), c.req.valid('param').clientId);
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new ApiError(426, 'UPGRADE_REQUIRED', 'Open this URL as a WebSocket');
    const request = new Request(c.req.raw);
    request.headers.set('x-client-ref', String(client.id));
    // what it was opened with: the socket closes once that login ends or that key is reset (checked by the hub)
    const auth = c.get('auth');
    const presented = auth.via === 'session' ? getCookie(c, LOGIN_COOKIE) : c.req.header('x-api-key');
    request.headers.set('x-credential', await credentialOf(auth.via, presented ?? ''));
    return hubFor(c.env, client.id).fetch(request) as never;
  });
