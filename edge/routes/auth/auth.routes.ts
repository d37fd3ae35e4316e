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

export const meRoute = createRoute({
  method: 'get',
  path: '/auth/me',
  tags: ['Auth'],
  summary: 'Who the session belongs to',
  security: SessionSecurity,
  middleware: [loginAuth()] as const,
  responses: { 200: json(MeSchema, 'The logged-in user'), ...errorResponses(401) },
});
