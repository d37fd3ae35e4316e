import { createRoute, z } from '@hono/zod-openapi';
import { ANDROID_TYPES } from '../../../adapters/android/index.ts';
import { ChannelNameSchema, DeviceOutboxStatusSchema } from '../../../adapters/vocabulary.ts';
import { errorResponses } from '../../lib/errors.ts';
import { IdParamsSchema, json } from '../../lib/schemas.ts';

export const DeviceSecuritySchemes = [{ DeviceSecret: [] }];

const PayloadSchema = z
  .looseObject({
    type: z.enum(ANDROID_TYPES).openapi({ description: 'sms, whatsapp, ussd or notification' }),
    data: z.record(z.string(), z.unknown()).openapi({
      description: 'As the device reports it (see the Android gateway payloads)',
      example: {
        id: 2,
        rid: 10593,
        sim: 1,
        device: '00000000-0000-0000-d57d-f30cb6a89289',
        phone: '+639760713666',
        message: 'Hello World!',
        timestamp: 1645684231,
      },
    }),
    secret: z.string().optional().openapi({ description: 'The device secret, unless sent as x-device-secret' }),
  })
  .openapi('AndroidPayload');

export const ingressRoute = createRoute({
  method: 'post',
  path: '/gateway/android',
  tags: ['Android gateway'],
  summary: 'A device posts a received SMS, WhatsApp chat, USSD response or notification',
  description:
    'JSON or PHP-style form bodies (`type=sms&data[phone]=...`). The device authenticates with its secret (`secret` in the body or the `x-device-secret` header). The same payload posted again (same type and id) is acknowledged and dropped.',
  security: DeviceSecuritySchemes,
  request: {
    body: {
      required: false,
      content: {
        'application/json': { schema: PayloadSchema },
        'application/x-www-form-urlencoded': {
          schema: z
            .looseObject({ type: z.string().optional() })
            .openapi({ example: { type: 'sms', 'data[phone]': '+639760713666', 'data[message]': 'Hello World!' } }),
        },
      },
    },
  },
  responses: {
    200: json(
      z.object({ success: z.literal(true), event: z.string(), eventId: z.number().int().nullable(), duplicate: z.boolean() }).openapi('IngressResult'),
      "Stored (or a repeat, dropped) and queued for the device's webhook",
    ),
    ...errorResponses(400, 401, 413, 415),
  },
});

const OutboxItem = z
  .object({
    id: z.number().int(),
    type: z.enum(['message', 'ussd']).openapi({ description: '`message`: send `message` to `to`; `ussd`: dial the code in `to` and report its answer' }),
    channel: ChannelNameSchema,
    to: z.string(),
    sim: z.number().int().nullable(),
    message: z.string(),
    leaseUntil: z.number().int().openapi({ description: 'Epoch ms: the device must not send it after this (it asks again: the work may have moved)' }),
    leaseMs: z.number().int().openapi({ description: "The same lease as ms left when answered: count it from receipt if the phone's clock may be off" }),
  })
  .openapi('DeviceOutboxItem');

export const outboxRoute = createRoute({
  method: 'get',
  path: '/gateway/android/outbox',
  tags: ['Android gateway'],
  summary: 'The device fetches work: messages to send (API sends, webhook replies) and USSD codes to run',
  description:
    'Long-poll: with `wait` (seconds, up to 30) the answer comes as soon as work is queued for the device, or empty after `wait`. Each item is claimed until `leaseUntil` (60 s for sends and USSD, 5 min for replies); unreported by then it is offered again — possibly to another device, so a device must not send an item after its `leaseUntil`. A poll counts as a sign of life: a device not seen for 90 s is given no new work, and after 120 s its routed work moves.',
  security: DeviceSecuritySchemes,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      wait: z.coerce.number().int().min(0).max(30).default(0).openapi({ description: 'Seconds to wait for work when there is none (long-poll)' }),
    }),
  },
  responses: { 200: json(z.object({ messages: z.array(OutboxItem) }), 'Messages to send now'), ...errorResponses(400, 401) },
});

export const reportRoute = createRoute({
  method: 'post',
  path: '/gateway/android/outbox/{id}',
  tags: ['Android gateway'],
  summary: 'The device reports what happened to one piece of work',
  description:
    'A reply: `sent` emits `message_sent`; `delivered` and `failed` emit `message_ack`. An API send: each report emits `sms_status`. A USSD request: `sent` with `response` (the answer the network showed) emits `ussd_response` with the request id; `failed` fails it. Repeated reports change nothing. A report for work that was moved to another device (this one went silent) is refused with 409 `WORK_MOVED`: drop it.',
  security: DeviceSecuritySchemes,
  request: {
    params: IdParamsSchema,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              status: z.enum(['sent', 'delivered', 'failed']),
              error: z.string().max(500).optional(),
              response: z.string().max(2000).optional().openapi({ description: "A USSD request's answer" }),
              secret: z.string().optional(),
            })
            .openapi('OutboxReport'),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ success: z.literal(true), id: z.number().int(), status: DeviceOutboxStatusSchema, changed: z.boolean() }), 'Recorded'),
    ...errorResponses(400, 401, 404, 409),
  },
});

export const simsRoute = createRoute({
  method: 'post',
  path: '/gateway/android/sims',
  tags: ['Android gateway'],
  summary: 'The device reports its SIMs (at start and when they change)',
  description:
    'Replaces the SIMs on record: slots not listed are gone. `dailyQuota` caps the SMS sent through a SIM a day (routing skips a SIM at its cap); a SIM reported without it keeps the quota set before.',
  security: DeviceSecuritySchemes,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              sims: z
                .array(
                  z.object({
                    slot: z.number().int().min(1).max(8),
                    carrier: z.string().max(100).optional(),
                    number: z.string().max(20).optional(),
                    dailyQuota: z.number().int().min(0).max(100_000).nullable().optional(),
                  }),
                )
                .max(8),
              secret: z.string().optional(),
            })
            .openapi('DeviceSims'),
        },
      },
    },
  },
  responses: { 200: json(z.object({ success: z.literal(true), sims: z.number().int() }), 'Recorded'), ...errorResponses(400, 401) },
});
