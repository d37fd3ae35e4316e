import { createRoute, z } from '@hono/zod-openapi';
import { AuditCategorySchema, RoleSchema } from '../../../adapters/vocabulary.ts';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { errorResponses } from '../../lib/errors.ts';
import { json, jsonBody, UsernameSchema, KeyOrSessionSecurity } from '../../lib/schemas.ts';

const ProfileSchema = z
  .object({
    username: z.string().openapi({ example: 'admin' }),
    role: RoleSchema,
    apiKey: z.string().nullable().openapi({
      example: '1f92bf99680b32fedeb1',
      description: 'null when asked with a dashboard login: the pages show it through POST /auth/reveal, with the password',
    }),
    clientCount: z.number().int().openapi({ example: 5 }),
    maxClients: z.number().int().nullable().openapi({ description: 'Client limit; null = unlimited' }),
  })
  .openapi('Profile');

export const profileRoute = createRoute({
  method: 'get',
  path: '/api/profile',
  tags: ['Account'],
  summary: 'Your username, role, account API key and client count',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  responses: { 200: json(ProfileSchema, 'Your profile'), ...errorResponses(401, 403, 429) },
});

const ResetKeySchema = z.object({ username: UsernameSchema, currentApiKey: z.string().min(1, 'currentApiKey is required').max(256) }).openapi('ResetApiKey');

export const resetKeyRoute = createRoute({
  method: 'post',
  path: '/api/reset-api-key',
  tags: ['Account'],
  summary: 'Replace an API key, proving it with the key and your username',
  description:
    'Works for the account key or a client key of that user; the old key stops working at once. Rate limited to 5 attempts per hour per IP (`sensitive`).',
  middleware: [rateLimit('sensitive')] as const,
  request: { body: jsonBody(ResetKeySchema) },
  responses: {
    200: json(z.object({ message: z.string(), newApiKey: z.string() }).openapi('ResetApiKeyResult'), 'The new key'),
    ...errorResponses(400, 401, 429),
  },
});

const LogSchema = z
  .object({
    id: z.number().int(),
    category: AuditCategorySchema,
    event: z.string().openapi({ example: 'login_failed' }),
    message: z.string(),
    ip: z.string().nullable(),
    count: z.number().int().openapi({ description: 'Repeats folded into this entry (failures from one address within 10 minutes)' }),
    createdAt: z.string().openapi({ example: '2025-11-01T12:00:00.000Z' }),
    lastAt: z.string().nullable().openapi({ description: 'When the last folded repeat happened' }),
  })
  .openapi('LogEntry');

export const logsRoute = createRoute({
  method: 'get',
  path: '/api/logs',
  tags: ['Account'],
  summary: 'Your application and security events, newest first',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      before: z.coerce.number().int().positive().optional().openapi({ description: 'Cursor: the `nextBefore` of the previous page' }),
      category: AuditCategorySchema.optional(),
    }),
  },
  responses: {
    200: json(z.object({ logs: z.array(LogSchema), nextBefore: z.number().int().nullable() }).openapi('LogPage'), 'A page of events'),
    ...errorResponses(400, 401, 403, 429),
  },
});

const UsageSchema = z
  .object({
    day: z.string().openapi({ example: '2025-11-01' }),
    key: z.string().openapi({ description: '`account` or `client:<clientId>`', example: 'account' }),
    method: z.string(),
    route: z.string().openapi({ example: '/api/clients' }),
    count: z.number().int(),
  })
  .openapi('UsageRow');

export const usageRoute = createRoute({
  method: 'get',
  path: '/api/usage',
  tags: ['Account'],
  summary: 'API calls per key, route and day',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { query: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }) },
  responses: { 200: json(z.object({ usage: z.array(UsageSchema) }), 'Usage, newest day first'), ...errorResponses(400, 401, 403, 429) },
});
