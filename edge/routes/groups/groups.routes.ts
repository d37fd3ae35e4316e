import { createRoute, z } from '@hono/zod-openapi';
import { MEDIA_EXTENSIONS } from '../../../adapters/media.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { loginAuth, loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { MediaKindSchema } from '../../../adapters/vocabulary.ts';
import { ApiKeySecurity, ClientIdSchema, ClientParamsSchema, json, jsonBody, SessionSecurity, KeyOrSessionSecurity } from '../../lib/schemas.ts';

const LastMessage = z.object({ body: z.string(), timestamp: z.number().int(), fromMe: z.boolean() }).nullable();

const ChatCommon = {
  id: z.string().openapi({ example: '120363123456789012@g.us' }),
  name: z.string(),
  description: z.string().nullable(),
  profilePic: z.string().nullable(),
  lastMessage: LastMessage,
  timestamp: z.number().int(),
  unreadCount: z.number().int(),
  isMuted: z.boolean(),
  pinned: z.boolean(),
  isReadOnly: z.boolean(),
};

const GroupSchema = z
  .object({ ...ChatCommon, participants: z.number().int(), owner: z.string().nullable(), createdAt: z.number().int().nullable(), type: z.literal('group') })
  .openapi('Group');
const ChannelSchema = z.object({ ...ChatCommon, type: z.literal('channel') }).openapi('Channel');

export const listGroupsRoute = createRoute({
  method: 'get',
  path: '/api/groups/{clientId}',
  tags: ['Groups'],
  summary: 'Groups and channels of a client, newest activity first',
  security: [...ApiKeySecurity, ...SessionSecurity],
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema },
  responses: {
    200: json(
      z.object({ groups: z.array(GroupSchema), channels: z.array(ChannelSchema), total: z.number().int() }).openapi('GroupList'),
      'Groups and channels',
    ),
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

const GroupIdSchema = z.string().min(3).max(128).openapi({ example: '120363123456789012@g.us' });
const MediaType = MediaKindSchema;

const GroupMessageFields = {
  message: z.string().max(4096, 'message: 4096 characters at most').optional().openapi({ example: 'שלום לכולם' }),
  mediaUrl: z
    .string()
    .max(2048)
    .optional()
    .openapi({ description: `Media by URL (${MEDIA_EXTENSIONS.join(', ')})` }),
  mediaType: MediaType.optional().openapi({ description: 'Required with mediaUrl' }),
};

const requireContent = <T extends { message?: string; mediaUrl?: string; mediaType?: string }>(b: T, ctx: z.RefinementCtx) => {
  if (!b.message && !b.mediaUrl) ctx.addIssue({ code: 'custom', message: 'Either message or mediaUrl is required', path: ['message'] });
  if (b.mediaUrl && !b.mediaType) ctx.addIssue({ code: 'custom', message: 'mediaType is required with mediaUrl', path: ['mediaType'] });
};

const SentGroupMessage = z.object({
  id: z.object({ _serialized: z.string().openapi({ description: 'The message id (GET /api/messages/{id}, webhooks)' }) }),
  body: z.string(),
  timestamp: z.number().int().openapi({ description: 'seconds: when it was queued' }),
  type: z.string().openapi({ example: 'chat' }),
  status: z.enum(['queued', 'sending', 'sent']).openapi({ description: 'queued: it leaves after the 2–5 s group delay, paced with the number' }),
});

const groupErrors = errorResponses(400, 401, 403, 404, 429, 502, 503);

export const sendGroupMessageRoute = createRoute({
  method: 'post',
  path: '/api/send-group-message',
  tags: ['Groups'],
  summary: 'Send a message or media to a group or channel (API key)',
  description:
    'Joins the number\'s send queue and leaves a random 2-5 s (GROUP_SEND_DELAY_MS) after the number\'s previous group send, against spam: the answer comes at once, `status: "queued"`, with the message id for GET /api/messages/{id}. While the number is away (no bridge, session not connected) it queues on the group list the bridge gave last, and waits for the number; with none known, 503. Read-only chats: 403 READ_ONLY_CHAT; not a group or channel: 400 INVALID_CHAT_TYPE; unknown: 404 GROUP_NOT_FOUND.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: {
    body: jsonBody(
      z
        .object({ clientId: ClientIdSchema, groupId: GroupIdSchema, ...GroupMessageFields })
        .superRefine(requireContent)
        .openapi('SendGroupMessage'),
    ),
  },
  responses: {
    200: json(
      z.object({ success: z.literal(true), message: SentGroupMessage, groupId: z.string(), groupName: z.string() }).openapi('SendGroupMessageResult'),
      'Sent',
    ),
    ...groupErrors,
  },
});

export const sendToGroupRoute = createRoute({
  method: 'post',
  path: '/api/groups/{clientId}/{groupId}/send',
  tags: ['Groups'],
  summary: 'Send to a group or channel from the dashboard (session, chat limiter)',
  security: SessionSecurity,
  middleware: [rateLimit('chat'), loginAuth()] as const,
  request: {
    params: z.object({
      clientId: ClientIdSchema.openapi({ param: { name: 'clientId', in: 'path' } }),
      groupId: GroupIdSchema.openapi({ param: { name: 'groupId', in: 'path' } }),
    }),
    body: jsonBody(z.object(GroupMessageFields).superRefine(requireContent).openapi('SendToGroup')),
  },
  responses: { 200: json(z.object({ success: z.literal(true), message: SentGroupMessage }), 'Sent'), ...groupErrors },
});
