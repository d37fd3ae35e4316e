import { createRoute, z } from '@hono/zod-openapi';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { ClientParamsSchema, json, KeyOrSessionSecurity } from '../../lib/schemas.ts';

const CallSchema = z
  .object({
    id: z.number().int(),
    client_id: z.string(),
    call_from: z.string().openapi({ example: '1234567890@c.us' }),
    is_video: z.boolean(),
    start_time: z.string(),
    end_time: z.string().nullable(),
    duration: z.number().nullable(),
    created_at: z.string(),
  })
  .openapi('IncomingCall');

export const incomingCallsRoute = createRoute({
  method: 'get',
  path: '/api/incoming-calls/{clientId}',
  tags: ['Calls'],
  summary: 'Incoming (rejected) calls of a client, newest first (100 a page; next page: X-Next-Cursor)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema, query: z.object(pageQuery(100)) },
  responses: {
    200: { ...json(z.object({ status: z.literal('success'), calls: z.array(CallSchema) }), 'Newest first'), headers: NEXT_CURSOR_HEADERS },
    ...errorResponses(400, 401, 404, 429),
  },
});

export const callLogsRoute = createRoute({
  method: 'get',
  path: '/api/call-logs',
  tags: ['Calls'],
  summary: 'Call logs of all your clients, newest first (50 a page; next page: X-Next-Cursor)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { query: z.object(pageQuery(100, 50)) },
  responses: {
    200: { ...json(z.object({ status: z.literal('success'), calls: z.array(CallSchema) }), 'Newest first'), headers: NEXT_CURSOR_HEADERS },
    ...errorResponses(400, 401, 429),
  },
});
