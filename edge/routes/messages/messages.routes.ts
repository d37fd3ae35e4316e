import { createRoute, z } from '@hono/zod-openapi';
import { MEDIA_EXTENSIONS } from '../../../adapters/media.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { ClientIdSchema, ClientParamsSchema, json, jsonBody, RecipientSchema, KeyOrSessionSecurity } from '../../lib/schemas.ts';

export const MAX_WAIT_S = 60;
export const DEFAULT_WAIT_S = 30;

const SendMessageSchema = z
  .object({
    clientId: ClientIdSchema,
    number: RecipientSchema,
    message: z.string().max(65_536).optional().openapi({ example: 'Hey! Its a test message' }),
    mediaUrl: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: `Media by URL; types ${MEDIA_EXTENSIONS.join(', ')}; 16 MB at most`, example: 'https://example.com/image.jpg' }),
    wait: z
      .union([z.boolean(), z.number().int().min(0).max(MAX_WAIT_S)])
      .optional()
      .openapi({
        description: `Answer with the outcome if it comes within this many seconds (\`true\`: ${DEFAULT_WAIT_S}); same as the header \`Prefer: wait=N\``,
      }),
    priority: z
      .enum(['interactive', 'bulk'])
      .optional()
      .openapi({ description: 'Queue lane: `interactive` (a reply to a person) goes before `bulk` (the default)' }),
    fallback: z
      .object({
        channel: z.literal('sms'),
        afterSeconds: z.number().int().min(5).max(86_400),
        deviceId: z
          .string()
          .regex(/^dev_[0-9a-f]{16}$/)
          .optional()
          .openapi({ description: 'Send the SMS through this device (default: routed)' }),
      })
      .optional()
      .openapi({
        description:
          'If the WhatsApp message is not delivered (ack < 2) within `afterSeconds`, or fails (for example the number is not on WhatsApp), its text goes out as an SMS through one of your Android devices. `GET /api/messages/{id}` shows `fallback`; the SMS carries `fallbackOf` (this messageId) in its `sms_status` events.',
      }),
  })
  .refine((b) => (b.message && b.message.length > 0) || b.mediaUrl, { message: 'Either message or mediaUrl is required', path: ['message'] })
  .refine((b) => !b.fallback || (b.message && b.message.length > 0 && b.message.length <= 1600), {
    message: 'fallback: an SMS needs the message text (at most 1600 characters)',
    path: ['fallback'],
  })
  .openapi('SendMessage');

/** What a send answers: queued (the default: durable, it will go), or with a wait, its outcome if it came first. */
export const SendResultSchema = z
  .object({
    success: z.literal(true),
    messageId: z.string().openapi({ description: 'The message id in GET /api/messages/{id}, webhooks and acks' }),
    clientId: z.string(),
    to: z.string(),
    status: z.enum(['queued', 'sending', 'sent']),
    timestamp: z.number().int().openapi({ description: 'ms: when it was sent, or when it was queued' }),
  })
  .openapi('SendMessageResult');

export const sendMessageRoute = createRoute({
  method: 'post',
  path: '/api/send-message',
  tags: ['Messages'],
  summary: 'Send a text message or a media attachment to a phone number',
  description:
    'The message joins the number\'s send queue and the answer comes once that is durable: `status: "queued"` with the `messageId` to follow it by (`GET /api/messages/{id}`, `message_sent` / `message_ack` / `message_failed` webhooks). The queue paces a real number (see the governor), waits out a bridge or session outage and fails a message with `EXPIRED` after 24 h. With `wait` (or `Prefer: wait=N`) the answer is the outcome if it comes first: `sent`, or the refusal as an error (400 MEDIA_ERROR, 403 READ_ONLY_CHAT, …). Send an `Idempotency-Key` header to make retries safe: a repeat with the same key answers the first result and queues nothing.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: {
    headers: z.object({
      'idempotency-key': z.string().min(1).max(255).optional().openapi({ description: 'Makes retries of this request safe' }),
      prefer: z.string().max(200).optional().openapi({ description: '`wait=N`: answer with the outcome if it comes within N seconds (at most 60)' }),
    }),
    body: jsonBody(SendMessageSchema),
  },
  responses: {
    200: json(SendResultSchema, 'Queued (or, with a wait, sent)'),
    ...errorResponses(400, 401, 404, 409, 429, 502, 503),
  },
});

const SentSchema = z
  .object({
    id: z.number().int(),
    clientId: z.string(),
    senderNumber: z.string(),
    recipient: z.string(),
    message: z.string(),
    status: z.string().openapi({ description: 'sent, delivered, read, played, failed or cancelled' }),
    sentAt: z.string(),
    messageId: z.string().nullable(),
    mediaUrl: z.string().nullable(),
    error: z.string().nullable(),
  })
  .openapi('SentMessage');

export const sentMessagesRoute = createRoute({
  method: 'get',
  path: '/api/sent-messages',
  tags: ['Messages'],
  summary: 'Sent messages of your clients, newest first (100 a page; next page: X-Next-Cursor)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { query: z.object(pageQuery(100)) },
  responses: { 200: { ...json(z.array(SentSchema), 'Newest first'), headers: NEXT_CURSOR_HEADERS }, ...errorResponses(400, 401, 429) },
});

export const receivedMessagesRoute = createRoute({
  method: 'get',
  path: '/api/received-messages/{clientId}',
  tags: ['Messages'],
  summary: 'Received messages of a client, newest first (100 a page; next page: X-Next-Cursor)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema, query: z.object(pageQuery(100)) },
  responses: {
    200: {
      ...json(
        z.object({
          status: z.literal('success'),
          messages: z.array(
            z.object({
              id: z.number().int(),
              client_id: z.string(),
              sender: z.string(),
              message: z.string(),
              received_at: z.string(),
              type: z.string(),
              group_id: z.string().nullable(),
            }),
          ),
        }),
        'Newest first',
      ),
      headers: NEXT_CURSOR_HEADERS,
    },
    ...errorResponses(400, 401, 404, 429),
  },
});
