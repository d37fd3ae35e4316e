import { createRoute, z } from '@hono/zod-openapi';
import { RoleSchema } from '../../../adapters/vocabulary.ts';
import { accountScope, apiKeyAuth } from '../../middleware/api-key.ts';
import { requireAdmin } from '../../middleware/admin.ts';
import { errorResponses } from '../../lib/errors.ts';
import { ApiKeySecurity, json, jsonBody, PasswordSchema, UsernameSchema } from '../../lib/schemas.ts';

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
  security: ApiKeySecurity,
  middleware: [apiKeyAuth(), accountScope(), requireAdmin()] as const,
  request: { body: jsonBody(NewUserSchema) },
  responses: { 201: json(CreatedUserSchema, 'User created'), ...errorResponses(400, 401, 403, 409, 429) },
});
