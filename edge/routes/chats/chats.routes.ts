import { createRoute, z } from '@hono/zod-openapi';
import { loginOrKey } from '../../middleware/login.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { errorResponses } from '../../lib/errors.ts';
import { ApiKeySecurity, ClientIdSchema, ClientParamsSchema, json, jsonBody, SessionSecurity } from '../../lib/schemas.ts';

const security = [...SessionSecurity, ...ApiKeySecurity];

export const ChatIdSchema = z
  .string()
  .regex(
    /^\d{6,30}@(c\.us|lid|g\.us|newsletter)$/,
    'chatId: <number>@c.us (or a contact known by LID, <digits>@lid), a group (@g.us) or a channel (@newsletter)',
  )
  .openapi({ param: { name: 'chatId', in: 'path' }, example: '9721234567@c.us' });

const ChatParams = z.object({ clientId: ClientIdSchema.openapi({ param: { name: 'clientId', in: 'path' } }), chatId: ChatIdSchema });

const ChatSchema = z
  .object({
    id: z.object({ _serialized: z.string() }),
    name: z.string(),
    profilePic: z.string().nullable(),
    lastMessage: z.object({ body: z.string(), timestamp: z.number().int(), fromMe: z.boolean() }).nullable(),
    timestamp: z.number().int(),
    unreadCount: z.number().int(),
    isMuted: z.boolean(),
    pinned: z.boolean(),
  })
  .openapi('Chat');

const MessageSchema = z
  .object({
    id: z.object({ _serialized: z.string() }),
    body: z.string(),
    fromMe: z.boolean(),
    timestamp: z.number().int(),
    type: z.string().openapi({ description: 'chat, image, video, audio, ptt, document, sticker, ...' }),
    hasMedia: z.boolean(),
    hasReaction: z.boolean(),
    reactions: z.array(z.object({ reaction: z.string(), senderId: z.string() })).nullable(),
    ack: z.number().int().openapi({ description: '1 sent, 2 delivered, 3 read (for received messages: 2 unread, 3 read)' }),
    filename: z.string().nullable(),
    from: z.string().optional().openapi({ description: 'in a group chat, who sent a received message' }),
  })
  .openapi('ChatMessage');

export const listChatsRoute = createRoute({
  method: 'get',
  path: '/api/chats/{clientId}',
  tags: ['Chats'],
  summary: 'Private chats of a client, newest activity first',
  security,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema },
  responses: { 200: json(z.object({ chats: z.array(ChatSchema) }), 'Chats'), ...errorResponses(400, 401, 404, 429) },
});

export const chatMessagesRoute = createRoute({
  method: 'get',
  path: '/api/chats/{clientId}/{chatId}/messages',
  tags: ['Chats'],
  summary: 'Messages of a chat, earliest to latest',
  security,
  middleware: [loginOrKey()] as const,
  request: { params: ChatParams, query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
  responses: { 200: json(z.object({ messages: z.array(MessageSchema) }), 'Messages'), ...errorResponses(400, 401, 404, 429) },
});

export const chatSendRoute = createRoute({
  method: 'post',
  path: '/api/chats/{clientId}/{chatId}/send',
  tags: ['Chats'],
  summary: 'Send a text message to a chat (pushed to live sockets)',
  description:
    "Goes ahead of the number's bulk sends (the interactive lane) and answers once sent, with WhatsApp's id, as the chat's messages carry it. If it could not go within 15 s (the session is down, the number is paused) it stays queued: `status: \"queued\"`, and `id` is the queue's id until it leaves.",
  security,
  middleware: [rateLimit('chat'), loginOrKey()] as const,
  request: { params: ChatParams, body: jsonBody(z.object({ message: z.string().min(1, 'message is required').max(65_536) }).openapi('ChatSend')) },
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        messageId: z.string().openapi({ description: 'The message id in GET /api/messages/{id} and webhooks' }),
        status: z.enum(['queued', 'sending', 'sent']),
        message: z.object({ id: z.object({ _serialized: z.string() }), body: z.string(), timestamp: z.number().int() }),
      }),
      'Sent (or still queued)',
    ),
    ...errorResponses(400, 401, 404, 429, 502, 503),
  },
});

export const chatReadRoute = createRoute({
  method: 'post',
  path: '/api/chats/{clientId}/{chatId}/read',
  tags: ['Chats'],
  summary: 'Mark a chat as read and send read receipts',
  security,
  middleware: [rateLimit('chat'), loginOrKey()] as const,
  request: { params: ChatParams },
  responses: { 200: json(z.object({ success: z.literal(true) }), 'Read'), ...errorResponses(400, 401, 404, 429, 503) },
});

export const chatMediaRoute = createRoute({
  method: 'get',
  path: '/api/chats/{clientId}/media/{messageId}',
  tags: ['Chats'],
  summary: 'The media of a received message, with its Content-Type and Content-Disposition',
  security,
  middleware: [loginOrKey()] as const,
  request: {
    params: z.object({
      clientId: ClientIdSchema.openapi({ param: { name: 'clientId', in: 'path' } }),
      messageId: z
        .string()
        .regex(/^[A-Za-z0-9_-]{4,128}$/, 'messageId: a message id')
        .openapi({ param: { name: 'messageId', in: 'path' } }),
    }),
  },
  responses: {
    200: { description: 'The bytes', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...errorResponses(400, 401, 404, 429, 502, 503),
  },
});

export const liveRoute = createRoute({
  method: 'get',
  path: '/api/chats/{clientId}/live',
  tags: ['Chats'],
  summary: 'Live updates (WebSocket): inbound messages, sends, acks and reactions of a client',
  description:
    'Upgrade to a WebSocket. Frames are JSON: `{type: "hello"|"state"|"message"|"ack"|"reaction"|"read", ...}` (adapters/live.ts): `hello` and `state` carry the status and pairing QR, the rest what happens in the chats. Send `ping` to get `pong`. The socket closes (4401) once the login or key it was opened with ends.',
  security,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema },
  responses: { 101: { description: 'Switching to the WebSocket' }, ...errorResponses(400, 401, 404, 426, 429) },
});
