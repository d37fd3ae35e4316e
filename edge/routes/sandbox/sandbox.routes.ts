import { createRoute, z } from '@hono/zod-openapi';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { SandboxSentSchema } from '../../../adapters/protocol.ts';
import { ClientParamsSchema, json, jsonBody, RecipientSchema, KeyOrSessionSecurity } from '../../lib/schemas.ts';

const errors = errorResponses(400, 401, 404, 409, 429, 503);

export const scanRoute = createRoute({
  tags: ['Sandbox'],
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  method: 'post',
  path: '/api/sandbox/{clientId}/scan',
  summary: 'The simulated phone scans the pending QR code: the client connects',
  request: { params: ClientParamsSchema },
  responses: { 200: json(z.object({ status: z.string(), connectedNumber: z.string().nullable() }), 'Connected'), ...errors },
});

export const pairRoute = createRoute({
  tags: ['Sandbox'],
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  method: 'post',
  path: '/api/sandbox/{clientId}/pair',
  summary: 'The simulated phone types the pairing code (add-number with pairingMethod "code"): the client connects',
  request: { params: ClientParamsSchema, body: jsonBody(z.object({ code: z.string().min(1).max(16) }).openapi('SandboxPair')) },
  responses: { 200: json(z.object({ status: z.string(), connectedNumber: z.string().nullable() }), 'Connected'), ...errors },
});

export const inboundRoute = createRoute({
  tags: ['Sandbox'],
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  method: 'post',
  path: '/api/sandbox/{clientId}/inbound',
  summary: 'A contact (or a group member) sends the client a message',
  request: {
    params: ClientParamsSchema,
    body: jsonBody(
      z
        .object({
          from: RecipientSchema,
          message: z.string().max(65_536).optional(),
          mediaUrl: z.string().max(2048).optional(),
          groupId: z
            .string()
            .regex(/^\d{6,30}@g\.us$/, 'groupId: <digits>@g.us')
            .optional(),
        })
        .refine((b) => b.message || b.mediaUrl, { message: 'message or mediaUrl is required', path: ['message'] })
        .openapi('SandboxInbound'),
    ),
  },
  responses: {
    200: json(z.object({ messageId: z.string(), timestamp: z.number().int() }), 'Delivered to the client'),
    202: json(
      z.object({ messageId: z.string(), timestamp: z.number().int(), queued: z.literal(true) }).openapi('SandboxInboundQueued'),
      'The number is offline (or has messages waiting): held, like WhatsApp holds them, and delivered in order with this id and send time once a ' +
        'session of the number is connected again. At most 1000 are held per number; beyond that 429 `OFFLINE_QUEUE_FULL`.',
    ),
    ...errors,
  },
});

export const callRoute = createRoute({
  tags: ['Sandbox'],
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  method: 'post',
  path: '/api/sandbox/{clientId}/call',
  summary: 'A contact calls the client (the call is rejected at once)',
  request: { params: ClientParamsSchema, body: jsonBody(z.object({ from: RecipientSchema, isVideo: z.boolean().optional() }).openapi('SandboxCall')) },
  responses: { 200: json(z.object({ callId: z.string(), rejected: z.boolean(), timestamp: z.number().int() }), 'Rejected'), ...errors },
});

export const outboxRoute = createRoute({
  tags: ['Sandbox'],
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  method: 'get',
  path: '/api/sandbox/{clientId}/outbox',
  summary: 'What the simulated network received from this client',
  request: { params: ClientParamsSchema },
  responses: {
    200: json(z.array(SandboxSentSchema), 'Oldest first'),
    ...errors,
  },
});

export const reactRoute = createRoute({
  tags: ['Sandbox'],
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey()] as const,
  method: 'post',
  path: '/api/sandbox/{clientId}/react',
  summary: 'A contact reacts to a message (an empty emoji takes it back)',
  request: {
    params: ClientParamsSchema,
    body: jsonBody(z.object({ from: RecipientSchema, messageId: z.string().min(1).max(128), emoji: z.string().max(16) }).openapi('SandboxReact')),
  },
  responses: { 200: json(z.object({ reacted: z.boolean() }), 'Reacted'), ...errors },
});
