import { createRoute, z } from '@hono/zod-openapi';
import { EVENT_NAMES } from '../../../adapters/events.ts';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { json, jsonBody, KeyOrSessionSecurity } from '../../lib/schemas.ts';

export const DeviceIdParam = z.object({
  deviceId: z
    .string()
    .regex(/^dev_[0-9a-f]{16}$/, 'deviceId: dev_ and 16 hex digits')
    .openapi({ param: { name: 'deviceId', in: 'path' }, example: 'dev_1a2b3c4d5e6f7a8b' }),
});

const WebhookUrl = z.string().max(2048).nullable().openapi({
  description: 'http(s) URL on a public host; events of this device are delivered there; null removes it',
  example: 'https://your-domain.com/sms-hook',
});

const DeviceSchema = z
  .object({
    deviceId: z.string(),
    name: z.string(),
    webhookUrl: z.string().nullable(),
    webhookDisabled: z.boolean().openapi({ description: 'The endpoint answered 410 Gone; save its URL again to resume' }),
    lastSeenAt: z.string().nullable(),
    createdAt: z.string(),
    healthy: z.boolean().openapi({ description: 'Seen in the last 90 s: routed sends may go to it' }),
    queued: z.number().int().openapi({ description: 'Work waiting for it or taken by it and not reported yet' }),
    sims: z.array(
      z.object({
        slot: z.number().int(),
        carrier: z.string().nullable(),
        number: z.string().nullable(),
        dailyQuota: z.number().int().nullable(),
        sentToday: z.number().int().openapi({ description: 'SMS sent (or on their way) through it today (UTC)' }),
      }),
    ),
  })
  .openapi('Device');

const CreatedDeviceSchema = z
  .object({
    deviceId: z.string(),
    name: z.string(),
    secret: z.string().openapi({ description: 'Shown once: the device sends it as `secret` in the body or the `x-device-secret` header', example: 'sbd_...' }),
    webhookUrl: z.string().nullable(),
    webhookSecret: z.string().nullable().openapi({ description: "Standard Webhooks signing secret of the device's endpoint" }),
  })
  .openapi('CreatedDevice');

export const createDeviceRoute = createRoute({
  method: 'post',
  path: '/api/devices',
  tags: ['Devices'],
  summary: 'Register an Android companion device',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    body: jsonBody(z.object({ name: z.string().trim().min(1, 'name is required').max(100), webhookUrl: WebhookUrl.optional() }).openapi('NewDevice')),
  },
  responses: { 201: json(CreatedDeviceSchema, 'Registered; the secret is shown only now'), ...errorResponses(400, 401, 403, 429) },
});

export const listDevicesRoute = createRoute({
  method: 'get',
  path: '/api/devices',
  tags: ['Devices'],
  summary: 'Your devices',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  responses: { 200: json(z.object({ devices: z.array(DeviceSchema) }), 'Your devices, oldest first'), ...errorResponses(401, 403, 429) },
});

export const deleteDeviceRoute = createRoute({
  method: 'delete',
  path: '/api/devices/{deviceId}',
  tags: ['Devices'],
  summary: 'Remove a device (its secret stops working at once)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: DeviceIdParam },
  responses: { 200: json(z.object({ success: z.literal(true), message: z.string() }), 'Removed'), ...errorResponses(400, 401, 403, 404, 429) },
});

export const rotateSecretRoute = createRoute({
  method: 'post',
  path: '/api/devices/{deviceId}/rotate-secret',
  tags: ['Devices'],
  summary: 'Issue a new device secret; the old one stops working at once',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: DeviceIdParam },
  responses: {
    200: json(z.object({ deviceId: z.string(), secret: z.string() }).openapi('RotatedSecret'), 'The new secret, shown once'),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export const deviceWebhookRoute = createRoute({
  method: 'post',
  path: '/api/devices/{deviceId}/webhook',
  tags: ['Devices'],
  summary: 'Set the webhook URL of a device',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    params: DeviceIdParam,
    body: jsonBody(z.object({ webhookUrl: WebhookUrl, rotateSecret: z.boolean().optional() }).openapi('DeviceWebhook')),
  },
  responses: {
    200: json(z.object({ success: z.literal(true), deviceId: z.string(), webhookUrl: z.string().nullable(), webhookSecret: z.string().nullable() }), 'Saved'),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

const StoredEventSchema = z
  .object({
    id: z.number().int(),
    event: z.string().openapi({ example: 'sms_received' }),
    data: z.record(z.string(), z.unknown()),
    receivedAt: z.string(),
  })
  .openapi('DeviceEvent');

export const deviceEventsRoute = createRoute({
  method: 'get',
  path: '/api/devices/{deviceId}/events',
  tags: ['Devices'],
  summary: 'Events a device posted, newest first (100 a page; next page: X-Next-Cursor)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    params: DeviceIdParam,
    query: z.object({
      type: z
        .enum(EVENT_NAMES as [string, ...string[]])
        .optional()
        .openapi({ description: 'Only this event, e.g. sms_received' }),
      ...pageQuery(100),
    }),
  },
  responses: {
    200: { ...json(z.object({ events: z.array(StoredEventSchema) }), 'Newest first'), headers: NEXT_CURSOR_HEADERS },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});
