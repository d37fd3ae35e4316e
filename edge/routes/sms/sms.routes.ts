import { createRoute, z } from '@hono/zod-openapi';
import { SmsSegmentsSchema } from '../../../adapters/sms-segments.ts';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { json, jsonBody, KeyOrSessionSecurity } from '../../lib/schemas.ts';

const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9]{3,15}$/, 'a phone number (digits, optional leading +)')
  .openapi({ example: '+972501234567' });

export const SmsSendSchema = z
  .object({
    to: Phone,
    message: z.string().min(1, 'message is required').max(1600, 'message: at most 1600 characters (about 10 segments)'),
    deviceId: z
      .string()
      .regex(/^dev_[0-9a-f]{16}$/)
      .optional()
      .openapi({ description: 'Send through this device; without it the fleet routes the send to a healthy device with room' }),
    sim: z.number().int().min(1).max(8).optional().openapi({ description: 'The SIM slot (1, 2, …); without it the SIM with the most room today' }),
    scheduleTime: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Not sent before this time (ISO 8601)' }),
  })
  .openapi('SmsSend');

export const SmsSchema = z
  .object({
    id: z.string().openapi({ example: 'sms_3f2a9c0d1e4b5a6c' }),
    status: z.enum(['queued', 'sending', 'sent', 'delivered', 'failed']),
    to: z.string(),
    message: z.string(),
    deviceId: z.string().openapi({ description: 'The device it is queued on (routed work may move to another if its device goes silent)' }),
    sim: z.number().int().nullable(),
    segments: SmsSegmentsSchema,
    error: z.string().nullable(),
    scheduledFor: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    fallbackOf: z.string().nullable().openapi({ description: 'The WhatsApp message this SMS stands in for' }),
  })
  .openapi('Sms');

const IdParam = (prefix: string, example: string) =>
  z.object({
    id: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9a-f]{16}$`), `id: ${prefix}_ and 16 hex digits`)
      .openapi({ param: { name: 'id', in: 'path' }, example }),
  });

export const sendSmsRoute = createRoute({
  method: 'post',
  path: '/api/sms/send',
  tags: ['SMS'],
  summary: 'Send an SMS through one of your Android devices',
  description:
    'Queued for a device (202): the named one, or — routed — a device seen in the last 90 s with a SIM under its daily quota, the one with the fewest queued. The device takes it within a second (long-poll) and reports `sent`, `delivered` or `failed`; each report is an `sms_status` webhook and shows at `GET /api/sms/{id}`. Routed work of a device that goes silent moves to another device. `segments` counts the parts as the network will (GSM-7: 160, or 153 per part; UCS-2 for Hebrew, Arabic or emoji: 70, or 67).',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { body: jsonBody(SmsSendSchema) },
  responses: { 202: json(SmsSchema, 'Queued'), ...errorResponses(400, 401, 403, 404, 409, 429) },
});

export const sendSmsBulkRoute = createRoute({
  method: 'post',
  path: '/api/sms/send-bulk',
  tags: ['SMS'],
  summary: 'Send up to 50 SMS in one request',
  description: 'Each item is queued (or refused) on its own, as `POST /api/sms/send` would; the answer lists them in order.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { body: jsonBody(z.object({ messages: z.array(SmsSendSchema).min(1).max(50) }).openapi('SmsSendBulk')) },
  responses: {
    202: json(
      z.object({
        results: z.array(z.union([z.object({ ok: z.literal(true), sms: SmsSchema }), z.object({ ok: z.literal(false), code: z.string(), error: z.string() })])),
      }),
      'Each item queued or refused',
    ),
    ...errorResponses(400, 401, 403, 429),
  },
});

export const listSmsRoute = createRoute({
  method: 'get',
  path: '/api/sms',
  tags: ['SMS'],
  summary: 'Your SMS sends, newest first',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { query: z.object(pageQuery(100, 50)) },
  responses: {
    200: { ...json(z.object({ messages: z.array(SmsSchema) }), 'A page of sends'), headers: NEXT_CURSOR_HEADERS },
    ...errorResponses(400, 401, 403, 429),
  },
});

export const getSmsRoute = createRoute({
  method: 'get',
  path: '/api/sms/{id}',
  tags: ['SMS'],
  summary: 'Where an SMS stands',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: IdParam('sms', 'sms_3f2a9c0d1e4b5a6c') },
  responses: { 200: json(SmsSchema, 'The SMS'), ...errorResponses(400, 401, 403, 404, 429) },
});

export const UssdSchema = z
  .object({
    id: z.string().openapi({ example: 'ussd_0a1b2c3d4e5f6a7b' }),
    status: z.enum(['queued', 'running', 'answered', 'failed']),
    deviceId: z.string(),
    sim: z.number().int().nullable(),
    code: z.string(),
    response: z.string().nullable(),
    error: z.string().nullable(),
    createdAt: z.string(),
    deadline: z.string().openapi({ description: 'Failed if the device has not answered by then (60 s)' }),
  })
  .openapi('Ussd');

export const ussdRoute = createRoute({
  method: 'post',
  path: '/api/ussd',
  tags: ['SMS'],
  summary: 'Run a USSD code on a device (balance, bundles)',
  description: 'The device dials it and posts the answer; the `ussd_response` webhook carries this request as `requestId`. Not answered within 60 s, it fails.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    body: jsonBody(
      z
        .object({
          deviceId: z.string().regex(/^dev_[0-9a-f]{16}$/),
          sim: z.number().int().min(1).max(8).optional(),
          code: z
            .string()
            .regex(/^[*#][0-9*#]{1,30}#$/, 'code: a USSD code such as *143#')
            .openapi({ example: '*143#' }),
        })
        .openapi('UssdRequest'),
    ),
  },
  responses: { 202: json(UssdSchema, 'Queued for the device'), ...errorResponses(400, 401, 403, 404, 429) },
});

export const getUssdRoute = createRoute({
  method: 'get',
  path: '/api/ussd/{id}',
  tags: ['SMS'],
  summary: 'A USSD request and its answer',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: IdParam('ussd', 'ussd_0a1b2c3d4e5f6a7b') },
  responses: { 200: json(UssdSchema, 'The request'), ...errorResponses(400, 401, 403, 404, 429) },
});
