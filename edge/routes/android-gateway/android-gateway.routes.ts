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
    channel: ChannelNameSchema,
    to: z.string(),
    sim: z.number().int().nullable(),
    message: z.string(),
  })
  .openapi('DeviceOutboxItem');

export const outboxRoute = createRoute({
  method: 'get',
  path: '/gateway/android/outbox',
  tags: ['Android gateway'],
  summary: 'The device fetches messages it must send (replies from your webhook)',
  description: 'Each message is leased to the device for 5 minutes; unreported, it is offered again.',
  security: DeviceSecuritySchemes,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }) },
  responses: { 200: json(z.object({ messages: z.array(OutboxItem) }), 'Messages to send now'), ...errorResponses(400, 401) },
});

export const reportRoute = createRoute({
  method: 'post',
  path: '/gateway/android/outbox/{id}',
  tags: ['Android gateway'],
  summary: 'The device reports what happened to one outbound message',
  description: '`sent` emits `message_sent`; `delivered` and `failed` emit `message_ack`. Repeated reports change nothing.',
  security: DeviceSecuritySchemes,
  request: {
    params: IdParamsSchema,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({ status: z.enum(['sent', 'delivered', 'failed']), error: z.string().max(500).optional(), secret: z.string().optional() })
            .openapi('OutboxReport'),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ success: z.literal(true), id: z.number().int(), status: DeviceOutboxStatusSchema, changed: z.boolean() }), 'Recorded'),
    ...errorResponses(400, 401, 404),
  },
});
