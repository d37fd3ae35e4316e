import { createRoute, z } from '@hono/zod-openapi';
import { DeliveryStatusSchema, ENDPOINT_KINDS } from '../../../adapters/vocabulary.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { ClientIdSchema, json, jsonBody, KeyOrSessionSecurity } from '../../lib/schemas.ts';

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: 'The webhook-id header of every attempt', example: 'msg_2b8f0c7e4f5a4a0e9d0c3b1a2f4e6d8c' }),
    event: z.string().openapi({ example: 'sms_received' }),
    endpoint: z.object({
      kind: z.enum(ENDPOINT_KINDS),
      id: z.string().openapi({ description: 'clientId, deviceId, or the rule id (`rul_…`) for a rule’s webhook action' }),
    }),
    status: DeliveryStatusSchema.openapi({
      description: 'pending (will be tried), delivered, dead (gave up; replayable) or paused (endpoint disabled by 410)',
    }),
    attempts: z.number().int(),
    lastStatus: z.number().int().nullable().openapi({ description: 'HTTP status of the last attempt' }),
    lastError: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');

export const listDeliveriesRoute = createRoute({
  method: 'get',
  path: '/api/webhook-deliveries',
  tags: ['Webhooks'],
  summary: 'Webhook deliveries: status, attempts and last error, newest first',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: {
    query: z.object({
      status: DeliveryStatusSchema.optional(),
      event: z.string().max(64).optional(),
      ...pageQuery(200, 50),
    }),
  },
  responses: {
    200: { ...json(z.object({ deliveries: z.array(DeliverySchema) }), 'Newest first; next page: X-Next-Cursor'), headers: NEXT_CURSOR_HEADERS },
    ...errorResponses(400, 401, 429),
  },
});

export const replayRoute = createRoute({
  method: 'post',
  path: '/api/webhook-deliveries/{id}/replay',
  tags: ['Webhooks'],
  summary: 'Send a delivery again, with the same webhook-id and body, on a fresh retry schedule',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .regex(/^msg_[0-9a-f]{32}$/, 'not a delivery id')
        .openapi({ param: { name: 'id', in: 'path' } }),
    }),
  },
  responses: { 200: json(z.object({ success: z.literal(true), delivery: DeliverySchema }), 'Queued again'), ...errorResponses(400, 401, 404, 409, 429) },
});

const UpdateWebhookSchema = z
  .object({
    clientId: ClientIdSchema,
    webhookUrl: z
      .string()
      .max(2048)
      .nullable()
      .openapi({ description: 'http(s) URL on a public host; null or "" removes the webhook', example: 'https://your-domain.com/webhook.php' }),
    rotateSecret: z.boolean().optional().openapi({ description: 'Issue a new signing secret (the old one stops signing at once)' }),
  })
  .openapi('UpdateWebhook');

export const updateWebhookRoute = createRoute({
  method: 'post',
  path: '/api/update-webhook',
  tags: ['Webhooks'],
  summary: 'Set the webhook URL of a client',
  description:
    "Answers the endpoint's Standard Webhooks signing secret (`whsec_...`): every delivery carries `webhook-id`, `webhook-timestamp` and `webhook-signature` made with it, besides `X-Api-Key`.",
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { body: jsonBody(UpdateWebhookSchema) },
  responses: {
    200: json(
      z
        .object({
          success: z.literal(true),
          message: z.string(),
          clientId: z.string(),
          webhookUrl: z.string().nullable(),
          webhookSecret: z.string().nullable().openapi({
            example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
            description: 'null with a dashboard login (POST /auth/reveal shows it, with the password)',
          }),
        })
        .openapi('WebhookSettings'),
      'Saved',
    ),
    ...errorResponses(400, 401, 404, 429),
  },
});
