import { createRoute, z } from '@hono/zod-openapi';
import { MEDIA_EXTENSIONS } from '../../../adapters/media.ts';
import { apiKeyAuth } from '../../middleware/api-key.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { ApiKeySecurity, ClientIdSchema, ClientParamsSchema, json, jsonBody, RecipientSchema } from '../../lib/schemas.ts';

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
  })
  .refine((b) => (b.message && b.message.length > 0) || b.mediaUrl, { message: 'Either message or mediaUrl is required', path: ['message'] })
  .openapi('SendMessage');

export const sendMessageRoute = createRoute({
  method: 'post',
  path: '/api/send-message',
  tags: ['Messages'],
  summary: 'Send a text message or a media attachment to a phone number',
  description:
    'Send an `Idempotency-Key` header to make retries safe: a repeat with the same key answers the first result and sends nothing. Bridge or session down: 503 with a code; media that cannot be fetched or is not a supported type: 400 MEDIA_ERROR.',
  security: ApiKeySecurity,
  middleware: [apiKeyAuth()] as const,
  request: {
    headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional().openapi({ description: 'Makes retries of this request safe' }) }),
    body: jsonBody(SendMessageSchema),
  },
  responses: {
    200: json(
      z
        .object({
          success: z.literal(true),
          messageId: z.string(),
          clientId: z.string(),
          to: z.string(),
          status: z.literal('sent'),
          timestamp: z.number().int(),
        })
        .openapi('SendMessageResult'),
      'Sent',
    ),
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
    status: z.string().openapi({ description: 'sent, delivered, read, played or failed' }),
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
  security: ApiKeySecurity,
  middleware: [apiKeyAuth()] as const,
  request: { query: z.object(pageQuery(100)) },
  responses: { 200: { ...json(z.array(SentSchema), 'Newest first'), headers: NEXT_CURSOR_HEADERS }, ...errorResponses(400, 401, 429) },
});

export const receivedMessagesRoute = createRoute({
  method: 'get',
  path: '/api/received-messages/{clientId}',
  tags: ['Messages'],
  summary: 'Received messages of a client, newest first (100 a page; next page: X-Next-Cursor)',
  security: ApiKeySecurity,
  middleware: [apiKeyAuth()] as const,
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
