import { createRoute, z } from '@hono/zod-openapi';
import { RoleSchema } from '../../../adapters/vocabulary.ts';
import { sameOrigin } from '../../middleware/same-origin.ts';
import { rateLimit } from '../../middleware/rate-limit.ts';
import { loginAuth } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { json, jsonBody, SessionSecurity, UsernameSchema } from '../../lib/schemas.ts';

const LoginSchema = z.object({ username: UsernameSchema, password: z.string().min(1, 'password is required').max(256) }).openapi('Login');
const MeSchema = z.object({ username: z.string(), role: RoleSchema }).openapi('Me');

export const loginRoute = createRoute({
  method: 'post',
  path: '/auth/login',
  tags: ['Auth'],
  summary: 'Log in to the dashboard',
  description: 'Sets the HttpOnly, SameSite=Strict `sb_session` cookie. Failed attempts count against the `sensitive` limiter (5 per hour per IP).',
  middleware: [sameOrigin(), rateLimit('sensitive', { count: 'failures' })] as const,
  request: { body: jsonBody(LoginSchema) },
  responses: {
    200: json(MeSchema.extend({ success: z.literal(true) }), 'Logged in; the session cookie is set'),
    ...errorResponses(400, 401, 403, 429),
  },
});

export const logoutRoute = createRoute({
  method: 'post',
  path: '/auth/logout',
  tags: ['Auth'],
  summary: 'End the dashboard session',
  middleware: [sameOrigin()] as const,
  responses: { 200: json(z.object({ success: z.literal(true) }), 'Logged out; the cookie is cleared'), ...errorResponses(403) },
});

const RevealedSchema = z
  .object({
    apiKey: z.string().openapi({ description: 'The account API key' }),
    clients: z.array(z.object({ clientId: z.string(), apiKey: z.string(), webhookSecret: z.string().nullable() })),
  })
  .openapi('RevealedSecrets');

export const revealRoute = createRoute({
  method: 'post',
  path: '/auth/reveal',
  tags: ['Auth'],
  summary: 'Show the account key, client keys and webhook secrets to the dashboard, with the password',
  description:
    'A dashboard login acts as the account owner, but its calls never carry the keys and secrets (a stolen session must not turn into a key that never expires): the pages ask for them here, with the password. Wrong passwords count against the `sensitive` limiter (5 per hour per IP).',
  security: SessionSecurity,
  middleware: [rateLimit('sensitive', { count: 'failures' }), loginAuth()] as const,
  request: { body: jsonBody(z.object({ password: z.string().min(1, 'password is required').max(256) }).openapi('RevealSecrets')) },
  responses: { 200: json(RevealedSchema, 'The secrets'), ...errorResponses(400, 401, 403, 429) },
});

export const meRoute = createRoute({
  method: 'get',
  path: '/auth/me',
  tags: ['Auth'],
  summary: 'Who the session belongs to',
  security: SessionSecurity,
  middleware: [loginAuth()] as const,
  responses: { 200: json(MeSchema, 'The logged-in user'), ...errorResponses(401) },
});
