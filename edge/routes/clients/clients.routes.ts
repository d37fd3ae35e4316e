import { createRoute, z } from '@hono/zod-openapi';
import { PairingMethodSchema } from '../../../adapters/protocol.ts';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { loginAuth } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { ClientIdSchema, ClientParamsSchema, json, jsonBody, PhoneNumberSchema, SessionSecurity, KeyOrSessionSecurity } from '../../lib/schemas.ts';

const AddNumberSchema = z
  .object({
    clientId: ClientIdSchema,
    phoneNumber: PhoneNumberSchema,
    pairingMethod: PairingMethodSchema.default('qr').openapi({
      description:
        '`qr` (default): a QR code to scan; `code`: an 8-character code to type on the phone (WhatsApp → Linked devices → Link with phone number instead)',
    }),
  })
  .openapi('AddNumber');

const AddNumberResultSchema = z
  .object({
    status: z.enum(['pending_auth', 'connected']),
    message: z.string().openapi({ example: 'QR Code generated for authentication' }),
    qrCode: z
      .string()
      .nullable()
      .openapi({ description: 'data:image/png;base64 QR code; null when connected or not yet issued', example: 'data:image/png;base64,iVBORw0KGgo...' }),
    apiKey: z.string().openapi({ description: 'The client-specific API key', example: 'client-api-key-here' }),
    pairingCode: z
      .string()
      .nullable()
      .openapi({ description: 'With `pairingMethod: "code"`: the code to type on the phone; it also arrives on the live socket', example: 'ABCD1234' }),
  })
  .openapi('AddNumberResult');

export const addNumberRoute = createRoute({
  method: 'post',
  path: '/api/add-number',
  tags: ['Clients'],
  summary: 'Add a WhatsApp client phone number',
  description:
    'Creates the client and its API key with status `pending_auth`. Needs the account key. Over your plan limit: 403 PLAN_LIMIT_EXCEEDED; an existing clientId: 409.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { body: jsonBody(AddNumberSchema) },
  responses: { 200: json(AddNumberResultSchema, 'Client created'), ...errorResponses(400, 401, 403, 409, 429) },
});

const ClientSchema = z
  .object({
    clientId: z.string().openapi({ example: 'client-id' }),
    phoneNumber: z.string().openapi({ example: '9721234567' }),
    apiKey: z
      .string()
      .nullable()
      .openapi({ example: 'client-api-key', description: 'null when asked with a dashboard login (POST /auth/reveal shows it, with the password)' }),
    connectedNumber: z.string().openapi({ description: '`<number>@c.us` once paired, else "Not Connected"', example: '9721234567@c.us' }),
    status: z.string().openapi({ description: 'Pending Authentication, Authenticated, Disconnected or Logged Out', example: 'Authenticated' }),
    webhookUrl: z.string().nullable(),
    webhookSecret: z.string().nullable().openapi({
      description: 'The secret that signs this client’s webhooks (sealed at rest); null without a webhook, or when asked with a dashboard login',
      example: 'whsec_…',
    }),
  })
  .openapi('Client');

export const listClientsRoute = createRoute({
  method: 'get',
  path: '/api/clients',
  tags: ['Clients'],
  summary: 'All clients of your account (a client key sees only its own)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  responses: { 200: json(z.array(ClientSchema), 'Your clients, oldest first'), ...errorResponses(401, 429) },
});

export const deleteClientRoute = createRoute({
  method: 'delete',
  path: '/clients/{clientId}',
  tags: ['Clients'],
  summary: 'Delete a client permanently (dashboard session and password)',
  description: 'Rate limited: 5 attempts per hour per IP (`sensitive`) and the `delete` limiter (10 per 15 minutes).',
  security: SessionSecurity,
  middleware: [rateLimit('sensitive'), rateLimit('delete'), loginAuth()] as const,
  request: {
    params: ClientParamsSchema,
    body: jsonBody(z.object({ password: z.string({ error: 'Password is required' }).min(1, 'Password is required').max(256) }).openapi('ConfirmPassword')),
  },
  responses: {
    200: json(z.object({ message: z.string().openapi({ example: 'Client deleted successfully.' }) }), 'Deleted'),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export const qrRoute = createRoute({
  method: 'get',
  path: '/api/qr/{clientId}',
  tags: ['Clients'],
  summary: 'The QR code to pair a client (PNG), while it is pending authentication',
  description: 'A logged-out client is started again and shows a fresh QR code. A connected client has none: 404 QR_NOT_AVAILABLE.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  request: { params: ClientParamsSchema },
  responses: {
    200: { description: 'The QR code', content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...errorResponses(400, 401, 404, 429, 503),
  },
});
