import { createRoute, z } from '@hono/zod-openapi';
import { RoleSchema } from '../../../adapters/vocabulary.ts';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { requireAdmin } from '../../middleware/admin.ts';
import { errorResponses } from '../../lib/errors.ts';
import { BridgeIdSchema, json, jsonBody, PasswordSchema, UsernameSchema, KeyOrSessionSecurity } from '../../lib/schemas.ts';

export const NewUserSchema = z
  .object({
    username: UsernameSchema,
    password: PasswordSchema,
    role: RoleSchema.default('user'),
    maxClients: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .nullable()
      .optional()
      .openapi({ description: 'Client limit; null = unlimited. Default 5 for users, unlimited for admins.' }),
  })
  .openapi('NewUser');

export const CreatedUserSchema = z
  .object({
    username: z.string(),
    role: RoleSchema,
    maxClients: z.number().nullable(),
    apiKey: z.string().openapi({ description: 'The account API key, shown in full' }),
  })
  .openapi('CreatedUser');

export const createUserRoute = createRoute({
  method: 'post',
  path: '/api/admin/users',
  tags: ['Admin'],
  summary: 'Create a user (admin account key)',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope(), requireAdmin()] as const,
  request: { body: jsonBody(NewUserSchema) },
  responses: { 201: json(CreatedUserSchema, 'User created'), ...errorResponses(400, 401, 403, 409, 429) },
});

const BridgeCredentialSchema = z
  .object({
    bridgeId: z.string(),
    token: z.string().openapi({ description: "The bridge's credential (BRIDGE_TOKEN), shown once: it is stored only hashed", example: 'sbb_3f…' }),
  })
  .openapi('BridgeCredential');

export const issueBridgeRoute = createRoute({
  method: 'post',
  path: '/api/admin/bridges',
  tags: ['Admin'],
  summary: 'Issue a bridge credential (a new one replaces and revokes the old)',
  description: 'A bridge connects with its own credential and may act only for the clients assigned to it. The token is shown once.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope(), requireAdmin()] as const,
  request: { body: jsonBody(z.object({ bridgeId: BridgeIdSchema }).openapi('NewBridge')) },
  responses: { 201: json(BridgeCredentialSchema, 'Issued'), ...errorResponses(400, 401, 403, 429) },
});

export const listBridgesRoute = createRoute({
  method: 'get',
  path: '/api/admin/bridges',
  tags: ['Admin'],
  summary: 'Bridges with a credential: connected or not, version, last heartbeat, and the clients each holds',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope(), requireAdmin()] as const,
  responses: {
    200: json(
      z.object({
        bridges: z.array(
          z
            .object({
              bridgeId: z.string(),
              createdAt: z.string(),
              revoked: z.boolean(),
              connected: z.boolean().openapi({ description: 'Its link is open and showed life within the last 15 s' }),
              draining: z.boolean().openapi({ description: 'It is handing its clients to other bridges before it exits (SIGTERM)' }),
              transport: z.string().nullable(),
              version: z.string().nullable().openapi({ description: 'What the bridge said it runs, in its hello' }),
              lastHeartbeat: z
                .string()
                .nullable()
                .openapi({ description: 'When its link last showed life (a frame or a ping, recorded every 5 s); null when it never linked' }),
              clients: z.array(z.object({ clientId: z.string(), username: z.string() })).openapi({ description: 'The clients it holds a lease on' }),
            })
            .openapi('Bridge'),
        ),
      }),
      'Bridges',
    ),
    ...errorResponses(401, 403, 429),
  },
});

export const revokeBridgeRoute = createRoute({
  method: 'delete',
  path: '/api/admin/bridges/{bridgeId}',
  tags: ['Admin'],
  summary: "Revoke a bridge credential: it stops working and the bridge's live link closes",
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope(), requireAdmin()] as const,
  request: { params: z.object({ bridgeId: BridgeIdSchema.openapi({ param: { name: 'bridgeId', in: 'path' } }) }) },
  responses: { 200: json(z.object({ success: z.literal(true), disconnected: z.number().int() }), 'Revoked'), ...errorResponses(400, 401, 403, 404, 429) },
});
