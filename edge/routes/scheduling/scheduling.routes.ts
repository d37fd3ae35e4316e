import { createRoute, z } from '@hono/zod-openapi';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { ScheduledStatusSchema } from '../../../adapters/vocabulary.ts';
import { ApiKeySecurity, ClientIdSchema, IdParamsSchema, json, jsonBody, RecipientSchema, SessionSecurity } from '../../lib/schemas.ts';

const security = [...SessionSecurity, ...ApiKeySecurity];

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export const ScheduleSchema = z
  .object({
    clientId: ClientIdSchema,
    number: RecipientSchema,
    message: z.string().min(1, 'message is required').max(65_536).openapi({ example: 'Scheduled hello' }),
    scheduleTime: z
      .string()
      .regex(ISO, 'scheduleTime: ISO-8601 with Z or an offset, e.g. 2025-10-06T18:30:00Z')
      .refine((s) => !Number.isNaN(Date.parse(s)), 'scheduleTime is not a real date')
      .openapi({ example: '2025-10-06T18:30:00Z' }),
  })
  .openapi('ScheduleMessage');

export const ScheduledSchema = z
  .object({
    id: z.number().int(),
    clientId: z.string(),
    recipient: z.string().openapi({ example: '+9721234567' }),
    message: z.string(),
    scheduleTime: z.string().openapi({ example: '2025-10-06T18:30:00Z' }),
    status: ScheduledStatusSchema,
    createdAt: z.string(),
    sentTime: z.string().nullable(),
    failureReason: z.string().nullable(),
  })
  .openapi('ScheduledMessage');

const createRouteFor = (prefix: '' | '/api') =>
  createRoute({
    method: 'post',
    path: `${prefix}/schedule-message`,
    tags: ['Scheduling'],
    summary: 'Schedule a message (scheduleTime in ISO-8601 with Z or an offset; stored as UTC)',
    security,
    middleware: [loginOrKey()] as const,
    request: { body: jsonBody(ScheduleSchema) },
    responses: { 200: json(ScheduledSchema.extend({ success: z.literal(true) }), 'Scheduled'), ...errorResponses(400, 401, 404, 429) },
  });

const listRouteFor = (prefix: '' | '/api') =>
  createRoute({
    method: 'get',
    path: `${prefix}/scheduled-messages`,
    tags: ['Scheduling'],
    summary: 'Your scheduled messages, the latest scheduleTime first',
    security,
    middleware: [loginOrKey()] as const,
    request: {
      query: z.object({ status: ScheduledStatusSchema.optional(), ...pageQuery(200) }),
    },
    responses: {
      200: { ...json(z.array(ScheduledSchema), 'Scheduled messages (at most 200 and 1 MiB of text a page)'), headers: NEXT_CURSOR_HEADERS },
      ...errorResponses(400, 401, 429),
    },
  });

const cancelRouteFor = (prefix: '' | '/api') =>
  createRoute({
    method: 'delete',
    path: `${prefix}/scheduled-messages/{id}`,
    tags: ['Scheduling'],
    summary: 'Cancel a pending (or queued, not yet sent) scheduled message (delete limiter: 10 per 15 minutes per IP)',
    security,
    middleware: [rateLimit('delete'), loginOrKey()] as const,
    request: {
      params: IdParamsSchema,
    },
    responses: {
      200: json(z.object({ message: z.string().openapi({ example: 'Schedule cancelled.' }) }), 'Cancelled'),
      ...errorResponses(400, 401, 404, 409, 429),
    },
  });

export const scheduleRoutes = {
  create: createRouteFor(''),
  createApi: createRouteFor('/api'),
  list: listRouteFor(''),
  listApi: listRouteFor('/api'),
  cancel: cancelRouteFor(''),
  cancelApi: cancelRouteFor('/api'),
};
