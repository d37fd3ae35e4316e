import { createRoute, z } from '@hono/zod-openapi';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { ClientParamsSchema, json, jsonBody, KeyOrSessionSecurity } from '../../lib/schemas.ts';
import { GovernorPolicySchema } from '../../services/governor.ts';

const MessageParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'q1_r0f3c2a9b8e7d6c5b4a39281' }),
});

const MessageStatusSchema = z
  .object({
    messageId: z.string(),
    clientId: z.string(),
    to: z.string(),
    status: z.enum(['queued', 'sending', 'sent', 'delivered', 'read', 'played', 'failed', 'cancelled']),
    channel: z.literal('whatsapp'),
    /** why it failed, or why it still waits */
    reason: z.string().nullable().openapi({ description: 'failed: the code and why; queued: why the last attempt did not go (an outage, a pause)' }),
    lane: z.enum(['interactive', 'bulk']).nullable(),
    queuedAt: z.string().nullable(),
    notBefore: z.string().nullable().openapi({ description: 'queued: the earliest it may go' }),
    expiresAt: z.string().nullable().openapi({ description: 'queued: when it fails with EXPIRED if still not sent' }),
    sentAt: z.string().nullable(),
    whatsappId: z.string().nullable().openapi({ description: "WhatsApp's id for it, once sent (the chat routes' message ids)" }),
    fallback: z
      .object({
        channel: z.literal('sms'),
        dueAt: z.string(),
        outcome: z.enum(['waiting', 'whatsapp', 'sms', 'none', 'failed']).openapi({
          description:
            '`whatsapp`: delivered there in time; `sms`: the SMS `smsId` went instead; `none`: cancelled; `failed`: no SMS could be queued (`error`)',
        }),
        smsId: z.string().nullable(),
        error: z.string().nullable(),
      })
      .nullable()
      .optional()
      .openapi({ description: 'The SMS fallback it asked for, and what became of it' }),
  })
  .openapi('MessageStatus');

export const messageStatusRoute = createRoute({
  method: 'get',
  path: '/api/messages/{id}',
  tags: ['Queue'],
  summary: 'Where a message stands: queued, sending, sent, delivered, read, failed (with the reason) or cancelled',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: MessageParams },
  responses: { 200: json(MessageStatusSchema, 'The message'), ...errorResponses(400, 401, 404, 429) },
});

export const cancelMessageRoute = createRoute({
  method: 'delete',
  path: '/api/messages/{id}',
  tags: ['Queue'],
  summary: 'Cancel a queued message (one already sending or sent cannot be: 409)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: MessageParams },
  responses: { 200: json(MessageStatusSchema, 'Cancelled'), ...errorResponses(400, 401, 404, 409, 429) },
});

const at = z.string().nullable();

export const queueRoute = createRoute({
  method: 'get',
  path: '/api/clients/{clientId}/queue',
  tags: ['Queue'],
  summary: "A number's send queue: depth by lane, next send time, and any pause or hold by the governor",
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema },
  responses: {
    200: json(
      z
        .object({
          clientId: z.string(),
          depth: z.number().int(),
          interactive: z.number().int(),
          bulk: z.number().int(),
          sending: z.number().int(),
          oldestQueuedAt: at,
          nextSendAt: at.openapi({ description: 'when the next message may go (the governor and the group delay included)' }),
          pausedUntil: at.openapi({ description: 'WhatsApp refused for sending too fast or to too many new contacts (463): the number waits until then' }),
          pauseReason: z.string().nullable(),
          heldBy: z.string().nullable().openapi({ description: 'interval or new_contact_cap: the governor holds the next message' }),
          policy: GovernorPolicySchema,
        })
        .openapi('SendQueue'),
      'The queue',
    ),
    ...errorResponses(400, 401, 404, 429),
  },
});

const GovernorViewSchema = z
  .object({ policy: GovernorPolicySchema, override: GovernorPolicySchema.partial().nullable().openapi({ description: "this number's own settings" }) })
  .openapi('Governor');

export const getGovernorRoute = createRoute({
  method: 'get',
  path: '/api/clients/{clientId}/governor',
  tags: ['Queue'],
  summary: "The number's send governor: the policy in force and this client's own settings",
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema },
  responses: {
    200: json(GovernorViewSchema, 'The governor'),
    ...errorResponses(400, 401, 404, 429),
  },
});

export const putGovernorRoute = createRoute({
  method: 'put',
  path: '/api/clients/{clientId}/governor',
  tags: ['Queue'],
  summary: "Sets this number's own governor settings (field by field over the defaults; `{}` goes back to the defaults)",
  description:
    "Defaults: with `WA_TRANSPORT=baileys` a real number is protected (3 s + up to 4 s between sends, 50 first messages a day to new contacts ramping up from 10 over 7 days, a 15 min pause on WhatsApp's 463 doubling up to 24 h); the sandbox is not paced. The `GOVERNOR` start variable changes the defaults for every number.",
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: ClientParamsSchema, body: jsonBody(GovernorPolicySchema.partial().strict().openapi('GovernorSettings')) },
  responses: {
    200: json(GovernorViewSchema, 'The governor now'),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});
